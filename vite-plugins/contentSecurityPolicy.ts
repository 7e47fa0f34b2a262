import { createHash } from 'node:crypto';
import react from '@vitejs/plugin-react';
import type { Connect, Plugin } from 'vite';

/**
 * The production page's Content-Security-Policy: scripts and workers only from this origin
 * (no inline script, no eval), data only from this origin and the Fashion-MNIST mirror.
 * The build puts it in a <meta> of index.html, so it holds wherever the files are hosted.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self' https://raw.githubusercontent.com",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Browsers ignore frame-ancestors in a <meta> policy; only a header can forbid framing the page
 * (clickjacking).
 */
const NO_FRAMING = "frame-ancestors 'none'";

/**
 * What `vite preview` sends as a header on every response: exactly the build's policy plus
 * frame-ancestors 'none'. Being a header, it also governs the worker scripts, as a host that sends
 * the policy would.
 */
export const PREVIEW_CONTENT_SECURITY_POLICY = `${CONTENT_SECURITY_POLICY}; ${NO_FRAMING}`;

/**
 * What the dev server (`vite`) sends: the same policy with only the two exceptions hot reload
 * needs, so that development meets (almost) the production rules:
 * - script-src also allows, by its SHA-256, the one inline script the React plugin writes into
 *   index.html (the Fast Refresh preamble); any other inline script stays blocked, which
 *   'unsafe-inline' would not do;
 * - style-src 'unsafe-inline': Vite's client puts each imported CSS file into a <style> element
 *   it creates at run time, and updates it on every edit, so no hash can be known in advance.
 * No 'unsafe-eval' is needed. The HMR WebSocket goes to this origin, which 'self' covers.
 */
export function devContentSecurityPolicy(base = '/'): string {
  const preamble = react.preambleCode.replace('__BASE__', base);
  const preambleHash = `'sha256-${createHash('sha256').update(preamble).digest('base64')}'`;
  return `${withSources(CONTENT_SECURITY_POLICY, {
    'script-src': preambleHash,
    'style-src': "'unsafe-inline'",
  })}; ${NO_FRAMING}`;
}

/**
 * The policy as a <meta> in the built index.html, and as a header from the dev and preview
 * servers (see PREVIEW_CONTENT_SECURITY_POLICY and devContentSecurityPolicy).
 */
export function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    transformIndexHtml(_html, context) {
      // The dev server's page gets the header only: its own <meta> would forbid the preamble.
      if (context.server !== undefined) return [];
      return [
        {
          tag: 'meta',
          attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
          injectTo: 'head-prepend',
        },
      ];
    },
    configureServer(server) {
      server.middlewares.use(policyHeader(devContentSecurityPolicy(server.config.base)));
    },
    configurePreviewServer(server) {
      server.middlewares.use(policyHeader(PREVIEW_CONTENT_SECURITY_POLICY));
    },
  };
}

/** Sets the header on every response, before any other middleware answers. */
export function policyHeader(policy: string): Connect.NextHandleFunction {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', policy);
    next();
  };
}

/** `policy` with `additions` appended to the sources of the directives they name. */
function withSources(policy: string, additions: Record<string, string>): string {
  return policy
    .split('; ')
    .map((directive) => {
      const name = directive.split(' ', 1)[0];
      return name in additions ? `${directive} ${additions[name]}` : directive;
    })
    .join('; ');
}
