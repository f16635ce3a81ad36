import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/** The WCAG levels issue #24 asks for. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * axe on the page as it is now: no serious or critical violation, else each one named with where
 * it is. `exclude`: selectors of content that is not the IDE's (the session's own app in the preview).
 */
export async function expectAccessible(page: Page, what: string, exclude: string[] = []): Promise<void> {
  let axe = new AxeBuilder({ page }).withTags(WCAG_TAGS);
  for (const selector of exclude) axe = axe.exclude(selector);
  const results = await axe.analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`).join(' | ')}`);
  expect(bad, `${what}: axe violations`).toEqual([]);
}

/**
 * What makes the focused element's focus visible, or why it is not: an outline or a box shadow
 * on it (on the editor's frame when focus is in Monaco's hidden input).
 */
export async function focusProblem(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'nothing has focus';
    const shown = (e: Element) => {
      const s = getComputedStyle(e);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow !== 'none' && s.boxShadow !== '');
    };
    const editor = el.closest('[data-testid="editor"]');
    if (shown(el) || (editor && shown(editor))) return null;
    return `<${el.tagName.toLowerCase()} data-testid="${el.getAttribute('data-testid') ?? ''}" class="${el.className}"> has focus but no outline or box shadow`;
  });
}

export async function expectFocusVisible(page: Page, step: string): Promise<void> {
  expect(await focusProblem(page), `focus visible after: ${step}`).toBeNull();
}
