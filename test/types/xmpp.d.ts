// Minimal declarations for @xmpp/client 0.14 (it ships none): only what the tests use.
declare module '@xmpp/xml' {
  import type { Element as LtxElement } from 'ltx';
  export type Element = LtxElement;
}

declare module '@xmpp/client' {
  import type { Element } from 'ltx';
  export interface Client {
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(...el: Element[]): Promise<void>;
    on(event: string, listener: (...args: any[]) => void): this;
    jid: { toString(): string } | null;
    status: string;
    socket: { socket?: import('node:net').Socket; end(): void } | null;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    iqCallee: { get(ns: string, name: string, handler: (ctx: { stanza: Element; element: Element }) => Element | boolean): void };
  }
  export function client(options: Record<string, unknown>): Client;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string | null)[]): Element;
}
