import type { Inputs } from 'preact/hooks';
import { useEffect, useState } from 'preact/hooks';

/** What a page has of an API answer: not yet, the value, or why not. */
export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ok'; readonly value: T }
  | { readonly state: 'error'; readonly error: unknown };

/** Loads once per change of `inputs`; an answer to an older load is dropped. */
export const useLoad = <T>(load: () => Promise<T>, inputs: Inputs): Loaded<T> => {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    load().then(
      (value) => current && setLoaded({ state: 'ok', value }),
      (error: unknown) => current && setLoaded({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, inputs);
  return loaded;
};
