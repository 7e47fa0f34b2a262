import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { createServer as createViteServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  PREVIEW_CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
} from './contentSecurityPolicy.ts';

interface Reply {
  status: number;
  policy: string | undefined;
  body: string;
}

function get(port: number, urlPath: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          policy: res.headers['content-security-policy'] as string | undefined,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The policy's directives by name, each with its list of sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(/;\s*/).map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe('contentSecurityPolicy', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'csp-vite-'));
    mkdirSync(path.join(root, 'dist', 'assets'), { recursive: true });
    const html = '<!doctype html><html><head><title>app</title></head><body></body></html>';
    writeFileSync(path.join(root, 'index.html'), html);
    writeFileSync(path.join(root, 'dist', 'index.html'), html);
    writeFileSync(path.join(root, 'dist', 'assets', 'worker-abc.js'), 'postMessage(1);');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("vite preview sends the build's policy plus frame-ancestors 'none' as a header, on every response", async () => {
    expect(PREVIEW_CONTENT_SECURITY_POLICY).toBe(
      `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
    );
    const server = await preview({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [contentSecurityPolicy()],
      preview: { port: 0, host: '127.0.0.1' },
    });
    try {
      const port = (server.httpServer.address() as AddressInfo).port;
      for (const urlPath of ['/', '/index.html', '/assets/worker-abc.js', '/no-such-file.js']) {
        const reply = await get(port, urlPath);
        expect(reply.policy, urlPath).toBe(PREVIEW_CONTENT_SECURITY_POLICY);
      }
    } finally {
      await server.close();
    }
  });

  it("the dev server sends the policy as a header with frame-ancestors 'none', allowing only the React preamble inline", async () => {
    const vite = await createViteServer({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [react(), contentSecurityPolicy()],
      server: { port: 0, host: '127.0.0.1', ws: false },
    });
    await vite.listen();
    try {
      const port = (vite.httpServer?.address() as AddressInfo).port;
      const page = await get(port, '/');
      expect(page.status).toBe(200);
      const policy = directives(page.policy ?? '');
      const production = directives(CONTENT_SECURITY_POLICY);
      // Every production directive is there, with the same sources first.
      for (const [name, sources] of production) {
        expect(policy.get(name)?.slice(0, sources.length), name).toEqual(sources);
      }
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(policy.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
      const scriptSources = policy.get('script-src') ?? [];
      expect(scriptSources).not.toContain("'unsafe-inline'");
      expect(scriptSources).not.toContain("'unsafe-eval'");
      // Each inline script of the served page is allowed by its hash, and nothing else is added.
      const inline = [...page.body.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
        .filter((match) => !/\bsrc=/.test(match[0]))
        .map((match) => match[1]);
      expect(inline.length).toBeGreaterThan(0);
      const hashes = inline.map(
        (text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`,
      );
      expect(scriptSources).toEqual(["'self'", ...new Set(hashes)]);
      // The dev page has no <meta> policy of its own (it would block the preamble).
      expect(page.body).not.toContain('Content-Security-Policy');
    } finally {
      await vite.close();
    }
  });

  it('puts the policy in a <meta> of the built page', () => {
    const plugin = contentSecurityPolicy();
    const hook = plugin.transformIndexHtml as (html: string, context: object) => unknown;
    expect(hook('<html></html>', { path: '/index.html', filename: 'index.html' })).toEqual([
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ]);
  });
});
