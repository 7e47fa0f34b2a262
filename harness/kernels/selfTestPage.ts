import { runSelfTest } from './selfTest.ts';

const out = document.getElementById('out') as HTMLPreElement;
const log = (line: string) => {
  out.textContent += `${line}\n`;
};

runSelfTest(undefined, log)
  .then((report) => {
    window.kernelSelfTest = report;
    log('done');
  })
  .catch((error: unknown) => {
    const message =
      error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    log(`error ${message}`);
    window.kernelSelfTest = {
      done: true,
      results: [],
      leaks: { tensorsBefore: 0, tensorsAfter: 0, dataIdsBefore: 0, dataIdsAfter: 0 },
      error: message,
    };
  });
