/**
 * One stanza sent to many recipients (a room's groupchat to its occupants, XEP-0045 §7.4):
 * the copies differ only in `to`. A copy is a new element with its own attributes and its own
 * list of children, but the children themselves are the template's, shared and frozen
 * (messages between actors are immutable by contract; frozen, a breach throws instead of
 * changing every copy). Serialising a copy splices its escaped `to` into the template's
 * serialisation, made once; a copy whose attributes or children were changed after it was
 * made (a hook's edit, an appended `<delay/>`) is serialised in full, as any element.
 */
import { clone, Element, escapeXML, type Attrs, type Node } from 'ltx';

interface Template {
  name: string;
  /** The attributes of every copy but `to`. */
  attrs: Readonly<Attrs>;
  keys: number;
  children: readonly Node[];
  /** The serialisation around the value of `to`. */
  head: string;
  tail: string;
}

/** A copy serialises from its template while it still is one. */
class StanzaCopy extends Element {
  template: Template | null = null;

  override toString(): string {
    const t = this.template;
    return t && isUnchanged(this, t) ? t.head + escapeXML(this.attrs.to as string) + t.tail : super.toString();
  }
}

function isUnchanged(copy: StanzaCopy, t: Template): boolean {
  if (copy.name !== t.name || typeof copy.attrs.to !== 'string' || copy.children.length !== t.children.length) return false;
  let keys = 0;
  for (const k in copy.attrs) {
    if (k !== 'to' && copy.attrs[k] !== t.attrs[k]) return false;
    keys++;
  }
  return keys === t.keys + 1 && copy.children.every((c, i) => c === t.children[i]);
}

/** A copy of a child with its attributes and children frozen, so that freezing never touches the caller's element. */
function frozenClone(el: Element): Element {
  const copy = clone(el);
  const freeze = (node: Node): void => {
    if (typeof node === 'string') return;
    Object.freeze(node.attrs);
    Object.freeze(node.children);
    node.children.forEach(freeze);
  };
  freeze(copy);
  return copy;
}

/** The copies of `stanza` (its `to` ignored): `copyTo(jid)` makes one; `stanza` is not modified. */
export function stanzaCopies(stanza: Element): { copyTo(to: string): Element } {
  const { to: _to, ...attrs } = stanza.attrs;
  const base = new Element(stanza.name, attrs);
  for (const c of stanza.children) base.cnode(typeof c === 'string' ? c : frozenClone(c));
  const whole = base.toString();
  const startTagEnd = whole.indexOf('>'); // a '>' in an attribute value is escaped
  const empty = base.children.length === 0;
  const t: Template = {
    name: base.name, attrs: Object.freeze(base.attrs), keys: Object.keys(attrs).length, children: base.children,
    head: `${whole.slice(0, empty ? startTagEnd - 1 : startTagEnd)} to="`,
    tail: empty ? '"/>' : `">${whole.slice(startTagEnd + 1)}`,
  };
  return {
    copyTo(to) {
      const copy = new StanzaCopy(t.name, t.attrs);
      copy.attrs.to = to;
      copy.children = [...t.children];
      copy.template = t;
      return copy;
    },
  };
}
