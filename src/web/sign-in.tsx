// sigv4 mode: the access key the page signs its requests with. Kept in this tab's
// sessionStorage only (gone when the tab closes), never sent: requests are signed here.
import { useState } from 'preact/hooks';
import type { Keys } from './api.js';

const STORAGE_KEY = 'farmtally.keys';

export function storedKeys(): Keys | undefined {
  try {
    const k = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Keys | null;
    return k?.accessKeyId && k.secretAccessKey ? k : undefined;
  } catch {
    return undefined;
  }
}

export function storeKeys(keys: Keys | undefined): void {
  if (keys) sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey }));
  else sessionStorage.removeItem(STORAGE_KEY);
}

interface Props {
  problem?: string;
  busy: boolean;
  initial?: Keys;
  onSubmit(keys: Keys): void;
}

export function SignIn({ problem, busy, initial, onSubmit }: Props) {
  const [accessKeyId, setId] = useState(initial?.accessKeyId ?? '');
  const [secretAccessKey, setSecret] = useState('');
  return (
    <form
      class="sign-in"
      aria-labelledby="sign-in-title"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit({ accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim() });
      }}
    >
      <h2 id="sign-in-title">Sign in with an access key</h2>
      <p>
        This server takes signed requests only (<code>--auth sigv4</code>). Enter an access key from its credentials file
        (<code>farmtally credentials add</code> makes one). The page signs each request with it, as any AWS SDK does; the key
        stays in this browser tab and is forgotten when the tab closes.
      </p>
      <div class="field">
        <label for="access-key-id">Access key ID</label>
        <input id="access-key-id" name="accessKeyId" autocomplete="username" spellcheck={false} required value={accessKeyId} onInput={(e) => setId(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="secret-access-key">Secret access key</label>
        <input id="secret-access-key" name="secretAccessKey" type="password" autocomplete="current-password" required value={secretAccessKey} onInput={(e) => setSecret(e.currentTarget.value)} />
      </div>
      <p id="sign-in-error" class="field-error" role="alert" hidden={!problem}>{problem ?? ''}</p>
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
    </form>
  );
}
