/** Shared helpers of the policy-reload tests: polling until something happens, and a policy that freezes staging restarts. */

/** Poll `probe` until it returns something other than undefined, or fail after `ms`. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A policy file denying service.restart in staging. */
export const STAGING_FREEZE = [
  'rules:',
  '  - name: no-staging-restarts',
  '    match:',
  '      types: [service.restart]',
  '      environments: [staging]',
  '    effect: deny',
  '    reason: Staging is frozen for the release.',
  '',
].join('\n');
