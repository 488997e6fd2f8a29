import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, isAbort } from '../api/client.ts';

export type Loaded<T> =
  | { state: 'loading'; data: T | undefined; error: undefined }
  | { state: 'ok'; data: T; error: undefined }
  | { state: 'error'; data: T | undefined; error: ApiError };

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'client', 'The page could not read the answer. Reload and try again.', null);
}

/**
 * GETs `path` (null: nothing to load yet) and reloads when it changes or `reload()` is called. A request still in
 * flight when the path changes or the screen closes is cancelled, so an old answer never replaces a newer one.
 */
export function useApi<T>(path: string | null): Loaded<T> & { reload: () => void; current: boolean } {
  const [generation, setGeneration] = useState(0);
  // `answered` is the path the shown data came from: a screen keeps the previous data while the next loads.
  const [result, setResult] = useState<Loaded<T> & { answered: string | null }>({ state: 'loading', data: undefined, error: undefined, answered: null });

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setResult((previous) => ({ ...previous, state: 'loading', error: undefined }));
    api<T>(path, { signal: controller.signal }).then(
      (data) => setResult({ state: 'ok', data, error: undefined, answered: path }),
      (err: unknown) => {
        if (isAbort(err)) return;
        setResult((previous) => ({ ...previous, state: 'error', error: asApiError(err) }));
      },
    );
    return () => controller.abort();
  }, [path, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const { answered, ...loaded } = result;
  return { ...(loaded as Loaded<T>), reload, current: result.state === 'ok' && answered === path };
}

/**
 * What a list screen tells its tests and assistive technology: 'ok' only once the rows answer the current path. On the
 * render where the path changes, the previous answer is still 'ok' but belongs to the old path.
 */
export function answerState(loaded: { state: 'loading' | 'ok' | 'error'; current: boolean }): 'loading' | 'ok' | 'error' {
  if (loaded.current) return 'ok';
  return loaded.state === 'error' ? 'error' : 'loading';
}

/** Runs one change (POST/PUT/PATCH/DELETE) and keeps its pending state and error for the form that started it. */
export function useMutation<A extends unknown[], R>(run: (...args: A) => Promise<R>): {
  pending: boolean;
  error: ApiError | undefined;
  clearError: () => void;
  mutate: (...args: A) => Promise<R | undefined>;
} {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();
  const mutate = useCallback(
    async (...args: A) => {
      setPending(true);
      setError(undefined);
      try {
        return await run(...args);
      } catch (err) {
        setError(asApiError(err));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [run],
  );
  return { pending, error, clearError: () => setError(undefined), mutate };
}
