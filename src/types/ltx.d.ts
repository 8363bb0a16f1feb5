// Type declarations for ltx 3 (the package ships none). Only what Troupe uses.
declare module 'ltx' {
  export type Node = Element | string;
  export type Attrs = Record<string, string>;

  export class Element {
    constructor(name: string, attrs?: Attrs | null);
    name: string;
    attrs: Attrs;
    parent: Element | null;
    children: Node[];
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    findNS(prefix?: string): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): Element | undefined;
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    root(): Element;
    up(): Element;
    c(name: string, attrs?: Attrs | null): Element;
    cnode(child: Node): Node;
    append(...nodes: Node[]): Element;
    prepend(...nodes: Node[]): Element;
    t(text: string): Element;
    remove(el: Element | string, xmlns?: string): Element;
    text(val?: string): string;
    attr(attr: string, val?: string | null): string | undefined;
    toString(): string;
  }

  export function createElement(name: string, attrs?: Attrs | null, ...children: (Node | null | undefined)[]): Element;
  export function parse(xml: string): Element;
  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXML(s: string): string;
  export function clone(el: Element): Element;
  export function equal(a: Element, b: Element): boolean;
}

declare module 'ltx/src/parsers/ltx.js' {
  import { EventEmitter } from 'node:events';
  /** ltx's SAX tokenizer: emits startElement(name, attrs), endElement(name, selfClosing), text(str), error(err). */
  export default class SaxLtx extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
}
