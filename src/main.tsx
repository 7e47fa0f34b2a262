import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { registerServiceWorker } from './offline/register.ts';
import { createBrowserSession } from './session/browserSession.ts';
import { App } from './ui/App.tsx';
import { SessionContext } from './ui/useSession.ts';
import './ui/app.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
// Created once for the page, outside React: it owns the worker and outlives any render.
const session = createBrowserSession();
createRoot(root).render(
  <StrictMode>
    <SessionContext value={session}>
      <App />
    </SessionContext>
  </StrictMode>,
);
// Production builds only: the dev server has no sw.js (vite-plugins/serviceWorker.ts builds it).
if (import.meta.env.PROD) registerServiceWorker();
