import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../core/search-attributes';

/**
 * Registers Runway's search attributes in the namespace if they are missing (the dev server gets them at start).
 * Needs operator rights on an external cluster; without them it says what to run instead of failing the worker.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string | undefined> {
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    for (const key of SEARCH_ATTRIBUTES) {
      if (!customAttributes?.[key.name])
        missing[key.name] = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    }
    if (Object.keys(missing).length === 0) return undefined;
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    return undefined;
  } catch (err) {
    const names = Object.keys(missing).length > 0 ? Object.keys(missing) : SEARCH_ATTRIBUTES.map((k) => k.name);
    return (
      `could not register search attributes (${(err as Error).message}); ask an admin to run: ` +
      names
        .map((n) => `temporal operator search-attribute create --namespace ${namespace} --name ${n} --type Keyword`)
        .join(' && ')
    );
  }
}
