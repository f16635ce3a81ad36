/**
 * The blob: URL of each test file's bundle in the sandbox host, kept while the bundle is
 * unchanged (the IDE reuses unchanged bundles, so a warm run usually sends the same code):
 * making a Blob and its URL is a round trip to the browser process, 2–10 ms a file. One URL per
 * file path; a changed bundle gets a new URL and the old one is revoked (the run that used it has
 * ended or been cancelled: the host starts a run only after cancelling the last one, which
 * terminates its workers). At most `max` files, the oldest first out.
 */
export class BundleUrlCache {
  private readonly byFile = new Map<string, { code: string; url: string }>();

  constructor(
    private readonly create: (code: string) => string = (code) => URL.createObjectURL(new Blob([code], { type: 'text/javascript' })),
    private readonly revoke: (url: string) => void = (url) => URL.revokeObjectURL(url),
    private readonly max = 500,
  ) {}

  urlFor(file: string, code: string): string {
    const known = this.byFile.get(file);
    if (known?.code === code) return known.url;
    if (known) {
      this.revoke(known.url);
      this.byFile.delete(file);
    }
    const url = this.create(code);
    this.byFile.set(file, { code, url });
    if (this.byFile.size > this.max) {
      const [oldest, entry] = this.byFile.entries().next().value!;
      this.revoke(entry.url);
      this.byFile.delete(oldest);
    }
    return url;
  }
}
