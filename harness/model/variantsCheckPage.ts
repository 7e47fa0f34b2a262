import { runVariantsCheck } from './variantsCheck.ts';

const out = document.getElementById('out') as HTMLPreElement;
const log = (line: string) => {
  out.textContent += `${line}\n`;
};

runVariantsCheck(log)
  .then((report) => {
    window.variantsCheck = report;
    log('done');
  })
  .catch((error: unknown) => {
    const message =
      error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    log(`error ${message}`);
    window.variantsCheck = {
      done: true,
      results: [],
      lrn: null,
      gpuErrors: [],
      tensorsBefore: 0,
      tensorsAfter: 0,
      error: message,
    };
  });
