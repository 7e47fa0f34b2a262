// The benchmark's tables (Markdown) from a BenchReport (harness/bench/presets.ts); shared by
// scripts/bench.mjs and the standalone Node bundle (scripts/benchStandalone.mjs), so it imports
// nothing.

/** "conv r3, dW r2 w1, …": the tuned plan's variants per op kind (register, workgroup, subgroup). */
function chosenCell(tuning) {
  if (!tuning) return '';
  const ops = {
    conv2d: 'conv',
    conv2dBackpropFilter: 'dW',
    conv2dBackpropInput: 'dx',
    matMul: 'matmul',
  };
  return Object.entries(tuning.chosenByOp)
    .map(
      ([op, counts]) =>
        `${ops[op] ?? op} ${Object.entries(counts)
          .map(([v, n]) => `${v[0]}${n}`)
          .join(' ')}`,
    )
    .join(', ');
}

export function printTables(report) {
  const subgroups = report.subgroups
    ? `; subgroups: adapter ${report.subgroups.adapter ? 'yes' : 'no'}, TF.js device ${report.subgroups.device ? 'yes' : 'no'}`
    : '';
  console.log(
    `\nbackend ${report.backend}; adapter: ${report.adapter}; kernels: ${report.kernels}${subgroups}\n`,
  );
  if (report.results.length > 0) {
    console.log(
      '| configuration | kernels | ms per step (median) | min–max ms | images/s | useful GFLOP/s | stock ÷ this | optimized ÷ this | variants chosen |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    const ratioTo = (r, kernels) => {
      const base = report.results.find((s) => s.name === r.name && s.kernels === kernels);
      return base ? `${(base.msPerStep / r.msPerStep).toFixed(2)}×` : '';
    };
    for (const r of report.results) {
      console.log(
        `| ${r.name} | ${r.kernels ?? 'stock'} | ${r.msPerStep.toFixed(0)} | ` +
          `${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)} | ` +
          `${r.imagesPerSecond.toFixed(2)} | ${r.usefulGflopsPerSecond.toFixed(3)} | ` +
          `${ratioTo(r, 'stock')} | ${ratioTo(r, 'optimized')} | ${chosenCell(r.tuning)} |`,
      );
    }
    for (const r of report.results.filter((x) => x.tuning)) {
      const t = r.tuning;
      console.log(
        `\nTuner, ${r.name}: ${t.timings.length} op shapes in ${(t.tuningMs / 1000).toFixed(1)} s` +
          `${t.complete ? '' : ' (budget ran out)'} (median ms of one run):\n`,
      );
      console.log('| op shape | register ms | workgroup ms | subgroup ms | chosen | rejected |');
      console.log('|---|---|---|---|---|---|');
      for (const s of t.timings) {
        const ms = (v) => (s.msByVariant[v] === undefined ? '' : s.msByVariant[v].toFixed(1));
        const rejected = Object.entries(s.rejected ?? {})
          .map(([v, why]) => `${v}: ${why}`)
          .join('; ');
        console.log(
          `| ${s.label} | ${ms('register')} | ${ms('workgroup')} | ${ms('subgroup')} | ${s.chosen} | ${rejected} |`,
        );
      }
    }
  }
  if (report.ops) {
    // Each conv op beside the stock matrix product of the same FLOPs (its im2col product,
    // m×k×n): the issue's target is ours ÷ that product ≥ 1 in GFLOP/s.
    console.log('\nSingle ops (median ms; GFLOP/s):\n');
    console.log(
      '| layer | op | stock ms | optimized ms | stock ÷ optimized | stock matmul, same FLOPs | optimized ÷ matmul |',
    );
    console.log('|---|---|---|---|---|---|---|');
    const ops = report.ops.filter((o) => o.sameFlopsAs === undefined);
    const keys = [...new Set(ops.map((o) => `${o.layer}|${o.op}`))];
    for (const key of keys) {
      const [layer, op] = key.split('|');
      const of = (k) => ops.find((o) => o.layer === layer && o.op === op && o.kernels === k);
      const stock = of('stock');
      const ours = of('optimized');
      const matmul = report.ops.find((o) => o.layer === layer && o.sameFlopsAs === op);
      const cell = (o) => (o ? `${o.ms.toFixed(1)} (${o.gflops.toPrecision(3)})` : '');
      const ratio = stock && ours ? `${(stock.ms / ours.ms).toFixed(1)}×` : '';
      const matmulCell = matmul ? `${matmul.op}: ${cell(matmul)}` : '';
      const target = ours && matmul ? `${(ours.gflops / matmul.gflops).toFixed(2)}×` : '';
      console.log(
        `| ${layer} | ${op} | ${cell(stock)} | ${cell(ours)} | ${ratio} | ${matmulCell} | ${target} |`,
      );
    }
  }
  const profiled = report.results.filter((r) => r.profile);
  if (profiled.length > 0) {
    console.log('\nPer-kernel ms in one profiled step (tf.profile):\n');
    const names = [...new Set(profiled.flatMap((r) => r.profile.map((k) => k.name)))];
    const totals = (name) =>
      Math.max(...profiled.map((r) => r.profile.find((k) => k.name === name)?.ms ?? 0));
    names.sort((a, b) => totals(b) - totals(a));
    console.log(`| kernel | ${profiled.map((r) => `${r.name} [${r.kernels}]`).join(' | ')} |`);
    console.log(`|---|${profiled.map(() => '---').join('|')}|`);
    for (const name of names.slice(0, 15)) {
      const cells = profiled.map((r) => {
        const k = r.profile.find((p) => p.name === name);
        return k ? `${k.ms.toFixed(1)} (×${k.calls})` : '';
      });
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
  }
}
