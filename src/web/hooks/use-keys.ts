// The keys the page signs with (sigv4 mode) and the client made from them; in open mode no
// keys, and a client with stand-in ones. The sign-in form shows while `signIn` is set.
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { useMemo, useState } from 'preact/hooks';
import { listFarms, makeClient, type Keys, type Named } from '../api.js';
import { describeError } from '../errors.js';
import { storedKeys, storeKeys } from '../sign-in.js';

export interface SignInState {
  problem?: string;
  busy: boolean;
}

export function useKeys(sigv4: boolean) {
  const [keys, setKeys] = useState<Keys | undefined>(() => (sigv4 ? storedKeys() : undefined));
  const [signIn, setSignIn] = useState<SignInState | null>(sigv4 && !storedKeys() ? { busy: false } : null);
  const client = useMemo(() => makeClient(keys), [keys]);

  /** Opens the sign-in form, saying why when a call was refused. */
  function askForKeys(problem?: string): void {
    setSignIn({ busy: false, problem });
  }

  /** "Change keys": the kept keys are forgotten, and the form asks for others. */
  function forgetKeys(): void {
    storeKeys(undefined);
    setSignIn({ busy: false });
  }

  /**
   * Tries keys typed in: they are kept only once they list the farms. Answers the client
   * made from them and that list, or undefined when they were refused (the form says why).
   */
  async function submitKeys(k: Keys): Promise<{ client: DeadlineClient; farms: Named[] } | undefined> {
    setSignIn({ busy: true });
    const c = makeClient(k);
    let farms: Named[];
    try {
      farms = await listFarms(c); // the keys work before they are kept
    } catch (err) {
      const problem = describeError(err);
      setSignIn({ busy: false, problem: problem.fields.general ?? Object.values(problem.fields)[0] });
      return undefined;
    }
    storeKeys(k);
    setKeys(k);
    setSignIn(null);
    return { client: c, farms };
  }

  return { keys, client, signIn, askForKeys, forgetKeys, submitKeys };
}
