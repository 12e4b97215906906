import { runbook, type RunInput, type RunReport } from '../../workflows';

/** Echoes each string through `$` on the first host with printf, in one step; the strings are in the step's tails. */
export async function quoteEcho(input: RunInput & { values: string[] }): Promise<RunReport> {
  return runbook<RunInput & { values: string[] }>('quoteEcho', input, async (rb) => {
    const [host] = rb.hosts();
    for (const [i, value] of rb.input.values.entries()) {
      await rb.step(`echo ${i}`, () => rb.on(host).$`printf %s ${value}`);
    }
  });
}
