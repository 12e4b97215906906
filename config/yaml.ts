import {
  isAlias,
  isCollection,
  isPair,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { ConfigError } from './errors';

/**
 * Reading a config's YAML as an attacker (or a tired operator) might write it. Whatever the text, the outcome is a
 * value or a {@link ConfigError} whose lines point into the file — never a stack trace, a hang or a memory blow-up:
 * every parser error and warning is a problem; a key given twice, a merge key (`<<`), a `__proto__` key, a list or map
 * used as a key and a tag that is not plain YAML are problems; aliases that would expand the document by more than
 * {@link MAX_ALIAS_EXPANSION} values (a "billion laughs") are refused before anything is expanded.
 */

/** A config file larger than this is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** How many values aliases may add to a document, all expansions together. */
export const MAX_ALIAS_EXPANSION = 100_000;

/** Tags a config may carry: the plain YAML types (`!!str 22` to write a number as text). */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** The parser's words where they would puzzle a reader of runway.yml. */
const PARSER_WORDS: Partial<Record<string, string>> = {
  MULTIPLE_DOCS: 'a config is one YAML document: remove the second "---" and what follows, or merge them',
  TAG_RESOLVE_FAILED: 'unsupported tag: a config holds plain values (strings, numbers, booleans, lists, maps)',
};

export type At = (offset: number) => { line: number; col: number };

/** A parsed config file: its document (to locate problems), the offset-to-position map and its plain value. */
export interface ParsedYaml {
  doc: Document;
  at: At;
  value: unknown;
}

/** Parses config text; throws {@link ConfigError} with one line for the first problem of the YAML itself. */
export function readYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const at: At = (offset) => lineCounter.linePos(offset);
  const fail = (offset: number, message: string): never => {
    throw new ConfigError([{ file, ...at(offset), path: 'yaml', message }]);
  };
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      { file, line: 1, col: 1, path: '', message: `the file is ${bytes} bytes; a config may be at most 4 MiB` },
    ]);
  }
  let doc: Document;
  try {
    // Keys are checked for uniqueness below, in one pass: the parser's own check is quadratic in a map's size.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    return fail(0, `cannot be parsed: ${(err as Error).message.split('\n')[0]}`);
  }
  // The first problem only: the parser's later ones are usually its confusion after the first.
  const [first] = [...doc.errors, ...doc.warnings];
  if (first) fail(first.pos[0], PARSER_WORDS[first.code] ?? first.message.split('\n')[0]);
  const yaml = doc.directives?.yaml;
  if (yaml?.explicit && yaml.version !== '1.2') {
    fail(0, `%YAML ${yaml.version} is not supported: a config is YAML 1.2 (remove the directive)`);
  }
  const problem = structureProblem(doc);
  if (problem) fail(problem.offset, problem.message);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    let offset = 0;
    visit(doc, {
      Alias(_key, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    fail(offset, `cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
  return { doc, at, value };
}

interface Located {
  offset: number;
  message: string;
}

/** The first key, tag or alias a config must not hold, in document order. */
function structureProblem(doc: Document): Located | undefined {
  let found: Located | undefined;
  const stop = (node: Node | null | undefined, message: string) => {
    found = { offset: node?.range?.[0] ?? 0, message };
    return visit.BREAK;
  };
  const expansion = aliasExpansion(doc);
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key as Node | null;
        if (isCollection(key) || isAlias(key))
          return stop(key, 'a key must be a plain name, not a list, a map or an alias');
        // What the key becomes in the value: `1` and "1" are the same key there.
        const name = String((isScalar(key) ? key.value : key) ?? '');
        if (name === '<<' && isScalar(key) && key.type === 'PLAIN') {
          return stop(
            key,
            'merge keys (<<) are not supported: write the keys out, or give the whole value as an alias',
          );
        }
        if (name === '__proto__') return stop(key, '"__proto__" cannot be a key');
        if (seen.has(name)) return stop(key, `${JSON.stringify(name)} is given twice: keys in a map must be unique`);
        seen.add(name);
      }
      return tagProblem(map) ? stop(map, tagProblem(map)!) : undefined;
    },
    Seq(_key, seq) {
      return tagProblem(seq) ? stop(seq, tagProblem(seq)!) : undefined;
    },
    Scalar(_key, scalar) {
      return tagProblem(scalar) ? stop(scalar, tagProblem(scalar)!) : undefined;
    },
    Alias(_key, alias) {
      if (!alias.resolve(doc)) return stop(alias, `unknown alias *${alias.source}: define &${alias.source} before it`);
      if (expansion.over === alias) {
        return stop(
          alias,
          `aliases would expand this document by more than ${MAX_ALIAS_EXPANSION} values: write the values out`,
        );
      }
      return undefined;
    },
  });
  return found;
}

function tagProblem(node: Node): string | undefined {
  if (!node.tag || PLAIN_TAGS.has(node.tag)) return undefined;
  const tag = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
  return `unsupported tag ${tag}: a config holds plain values (strings, numbers, booleans, lists, maps)`;
}

/**
 * Walks the document as written and adds up what each alias would expand to (each anchored node's size computed
 * once), so a bomb is measured in time linear in the text, never expanded. `over` is the alias at which the total
 * passes {@link MAX_ALIAS_EXPANSION}.
 */
function aliasExpansion(doc: Document): { over?: Node } {
  const sizes = new Map<Node, number>();
  const cap = MAX_ALIAS_EXPANSION + 1;
  const size = (node: unknown, path: Set<Node>): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target || path.has(target)) return 1;
      return size(target, path);
    }
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    path.add(node);
    let total = 1;
    for (const item of node.items) {
      total += isPair(item) ? size(item.key, path) + size(item.value, path) : size(item, path);
      if (total >= cap) break;
    }
    path.delete(node);
    const capped = Math.min(total, cap);
    sizes.set(node, capped);
    return capped;
  };
  let added = 0;
  let over: Node | undefined;
  visit(doc, {
    Alias(_key, alias) {
      added += size(alias, new Set()) - 1;
      if (added > MAX_ALIAS_EXPANSION) {
        over = alias;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return { over };
}
