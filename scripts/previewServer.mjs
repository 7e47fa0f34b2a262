// `vite preview` for the benchmark scripts: started in its own process group, stopped with it
// (and when Node exits), resolved once `readyPath` answers.
import { spawn } from 'node:child_process';

/**
 * Starts `npx vite preview <viteArgs> --port PORT --strictPort` and waits until
 * http://localhost:PORT<readyPath> answers; resolves to the function that stops it.
 */
export async function startPreview(port, viteArgs, readyPath) {
  const server = spawn(
    'npx',
    ['vite', 'preview', ...viteArgs, '--port', String(port), '--strictPort'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    },
  );
  const stop = () => {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', stop);
  for (let attempt = 0; attempt < 150; attempt++) {
    try {
      if ((await fetch(`http://localhost:${port}${readyPath}`)).ok) return stop;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  stop();
  throw new Error(`vite preview did not start on port ${port}`);
}
