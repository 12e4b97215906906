import { DefaultFailureConverter } from '@temporalio/common';

/**
 * The failure converter of encrypted runs (`failureConverterPath` of their data converter, and bundled into the
 * workflow sandbox): a failure's message and stack trace go into its encoded attributes — a payload, so encrypted —
 * and the failure itself says only "Encoded failure". Its class name marks a workflow bundle that carries it.
 */
export class RunwayEncodedFailures extends DefaultFailureConverter {
  constructor() {
    super({ encodeCommonAttributes: true });
  }
}

/** The instance the SDK loads from this module. */
export const failureConverter = new RunwayEncodedFailures();

/** What a workflow bundle built with this converter contains (checked before a prebuilt bundle runs encrypted). */
export const ENCODED_FAILURES_MARKER = 'RunwayEncodedFailures';
