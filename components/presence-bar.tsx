'use client';
import { useState } from 'react';
import { loadProfile, normalizeName, saveProfile, type Profile } from '@/lib/client/profile';
import { useIdeStore, useRuntime } from './session-provider';

/**
 * Everyone in the session (one entry per tab) with their role and colour; click someone to follow
 * their file and viewport (any move of your own stops it). Your own name and colour are editable.
 */
export function PresenceBar() {
  const runtime = useRuntime();
  const participants = useIdeStore((s) => s.participants);
  const following = useIdeStore((s) => s.following);
  const follow = useIdeStore((s) => s.follow);
  const [profile, setProfile] = useState<Profile>(() => loadProfile());
  const [draft, setDraft] = useState(profile.name);

  function update(next: Profile) {
    setProfile(next);
    saveProfile(next);
    runtime.setProfile(next);
  }

  return (
    <div className="presence" data-testid="presence">
      {participants.map((p) => (
        <button
          key={p.clientId}
          type="button"
          className={`presence-user${p.self ? ' self' : ''}${following === p.clientId ? ' following' : ''}`}
          data-testid="presence-user"
          data-role={p.role}
          data-self={p.self ? 'true' : 'false'}
          data-following={following === p.clientId ? 'true' : 'false'}
          data-name={p.name}
          style={{ '--user-color': p.color } as React.CSSProperties}
          title={p.self ? `You (${p.role})` : following === p.clientId ? `Following ${p.name}: click to stop` : `${p.name} (${p.role})${p.file ? ` · ${p.file}` : ''}: click to follow`}
          disabled={p.self}
          onClick={() => follow(following === p.clientId ? null : p.clientId)}
        >
          <span className="presence-dot" aria-hidden />
          <span className="presence-name">{p.name}</span>
          {p.self && <span className="presence-you"> (you)</span>}
          <span className="presence-role">{p.role}</span>
        </button>
      ))}
      <input
        className="display-name"
        data-testid="display-name"
        aria-label="Your name"
        title="Your name, as others see it"
        value={draft}
        maxLength={40}
        onChange={(e) => {
          setDraft(e.target.value);
          const name = normalizeName(e.target.value);
          if (name) update({ ...profile, name });
        }}
        onBlur={() => setDraft(profile.name)}
      />
      <input
        type="color"
        className="display-color"
        data-testid="display-color"
        aria-label="Your colour"
        title="Your colour, as others see it"
        value={profile.color}
        onChange={(e) => /^#[0-9a-fA-F]{6}$/.test(e.target.value) && update({ ...profile, color: e.target.value })}
      />
    </div>
  );
}
