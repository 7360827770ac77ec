/**
 * A set of field paths — what a manager owns in `metadata.managedFields` —
 * kept as a tree: each node says whether its own path is a member and
 * holds its children by path element. Read from and written to FieldsV1
 * exactly as upstream writes it: children in path-element order, `".":{}`
 * first where a path is a member and has children too, `{}` for a member
 * without children.
 */
import { comparePathElements, parsePathElement, serializePathElement, type PathElement } from './path-element.js';

interface Child {
  element: PathElement;
  node: FieldSet;
}

export class FieldSet {
  /** Whether the path leading here is itself a member (never true at the root). */
  member = false;
  private readonly children = new Map<string, Child>();

  /** Adds a path (a list of elements) as a member; an empty path is ignored, as upstream ignores it. */
  insert(path: PathElement[]): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (const element of path) node = node.childFor(element);
    node.member = true;
  }

  has(path: PathElement[]): boolean {
    let node: FieldSet | undefined = this;
    for (const element of path) {
      node = node.children.get(serializePathElement(element))?.node;
      if (!node) return false;
    }
    return path.length > 0 && node.member;
  }

  isEmpty(): boolean {
    return [...this.children.values()].every(({ node }) => !node.member && node.isEmpty());
  }

  /** Every member path, in order. */
  paths(): PathElement[][] {
    const out: PathElement[][] = [];
    const walk = (node: FieldSet, prefix: PathElement[]) => {
      for (const { element, node: child } of node.sortedChildren()) {
        const path = [...prefix, element];
        if (child.member) out.push(path);
        walk(child, path);
      }
    };
    walk(this, []);
    return out;
  }

  union(other: FieldSet): FieldSet {
    const result = this.clone();
    for (const path of other.paths()) result.insert(path);
    return result;
  }

  difference(other: FieldSet): FieldSet {
    const result = new FieldSet();
    for (const path of this.paths()) if (!other.has(path)) result.insert(path);
    return result;
  }

  intersection(other: FieldSet): FieldSet {
    const result = new FieldSet();
    for (const path of this.paths()) if (other.has(path)) result.insert(path);
    return result;
  }

  clone(): FieldSet {
    const result = new FieldSet();
    for (const path of this.paths()) result.insert(path);
    return result;
  }

  /** The member paths `keep` accepts (each path is asked on its own, whatever its parents got). */
  filter(keep: (path: PathElement[]) => boolean): FieldSet {
    const result = new FieldSet();
    for (const path of this.paths()) if (keep(path)) result.insert(path);
    return result;
  }

  /** The children of this node that hold members, in path-element order. */
  childEntries(): { element: PathElement; node: FieldSet }[] {
    return this.sortedChildren().map(({ element, node }) => ({ element, node }));
  }

  /** FieldsV1, as the `fieldsV1` of a managedFields entry holds it. */
  toFieldsV1(): Record<string, unknown> {
    return this.contents(false);
  }

  /** The same as compact JSON text, byte for byte what upstream stores. */
  toFieldsV1Json(): string {
    return JSON.stringify(this.toFieldsV1());
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const read = (node: FieldSet, value: unknown) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (key === '.') {
          node.member = true;
          continue;
        }
        const element = parsePathElement(key);
        if (!element) continue;
        const childNode = node.childFor(element);
        const entries = child !== null && typeof child === 'object' ? Object.keys(child as object) : [];
        if (entries.length === 0) childNode.member = true;
        else read(childNode, child);
      }
    };
    read(set, fields);
    set.member = false;
    return set;
  }

  private childFor(element: PathElement): FieldSet {
    const key = serializePathElement(element);
    let child = this.children.get(key);
    if (!child) {
      child = { element, node: new FieldSet() };
      this.children.set(key, child);
    }
    return child.node;
  }

  private sortedChildren(): Child[] {
    return [...this.children.values()].filter(({ node }) => node.member || !node.isEmpty()).sort((a, b) => comparePathElements(a.element, b.element));
  }

  private contents(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const children = this.sortedChildren();
    if (includeSelf && children.length > 0) out['.'] = {};
    for (const { element, node } of children) out[serializePathElement(element)] = node.contents(node.member);
    return out;
  }
}
