// Holds a hand-written TypeScript type to the JSON schema it describes, key for key. The
// type side is a tree of its keys that must be written out in full (KeyTree<T>: a key
// missing, or one the type does not have, fails to compile); the schema side is read from
// the schema by schemaKeys(). A test compares the two as dotted paths, both ways.

type AllKeys<T> = T extends unknown ? keyof T : never;
type ValueAt<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
/** Arrays are transparent (their items' keys), free-form maps (string index) are leaves. */
type KeyNode<V> = [V] extends [readonly (infer E)[]] ? KeyNode<E> : [V] extends [object] ? (string extends keyof V ? true : KeyTree<V>) : true;
/** Every key of T (of every member, for a union), each with the tree of its value. */
export type KeyTree<T> = { [K in AllKeys<T> & string]-?: KeyNode<NonNullable<ValueAt<T, K>>> };

export type KeyTreeValue = true | { [key: string]: KeyTreeValue };

/** Dotted paths of every key in a tree, parents included. */
export function keyPaths(tree: { [key: string]: KeyTreeValue }, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix + k;
    out.push(path);
    if (v !== true) out.push(...keyPaths(v, `${path}.`));
  }
  return out.sort();
}

type Schema = { [key: string]: unknown };

/** Dotted paths of every property a JSON schema allows: $ref, oneOf/anyOf/allOf and items are
 *  followed; an object given only as additionalProperties is a free-form map, a leaf. */
export function schemaKeys(root: Schema): string[] {
  const resolve = (node: Schema): Schema => {
    const ref = node.$ref;
    if (typeof ref !== 'string') return node;
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((at, part) => (at as Schema)[part], root);
    return resolve(target as Schema);
  };
  const walk = (raw: Schema, prefix: string, out: Set<string>): void => {
    const node = resolve(raw);
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
      const alts = node[key];
      if (Array.isArray(alts)) for (const alt of alts) walk(alt as Schema, prefix, out);
    }
    if (typeof node.items === 'object' && node.items !== null) walk(node.items as Schema, prefix, out);
    const props = node.properties;
    if (typeof props !== 'object' || props === null) return;
    for (const [k, v] of Object.entries(props as Record<string, Schema>)) {
      out.add(prefix + k);
      walk(v, `${prefix}${k}.`, out);
    }
  };
  const out = new Set<string>();
  walk(root, '', out);
  return [...out].sort();
}
