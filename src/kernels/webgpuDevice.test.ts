import { describe, expect, it } from 'vitest';
import type { MatMulGeometry } from './programs.ts';
import { SUBGROUPS_MARKER, TiledMatMulProgram } from './tiledPrograms.ts';
import { withEnableDirectives } from './webgpuDevice.ts';

const g: MatMulGeometry = {
  batch: 1,
  batchStrideA: 0,
  batchStrideB: 0,
  m: 7,
  k: 300,
  n: 5,
  transposeA: false,
  transposeB: false,
};

describe('the subgroups directive', () => {
  it('goes in front of the subgroup variant’s shaders, and only theirs', () => {
    const subgroup = new TiledMatMulProgram(g, [1, 7, 5], false, 'linear', 'subgroup');
    const workgroup = new TiledMatMulProgram(g, [1, 7, 5]);
    expect(subgroup.getUserCode()).toContain(SUBGROUPS_MARKER);
    expect(subgroup.getUserCode()).toContain('subgroupAdd(');
    expect(workgroup.getUserCode()).not.toContain(SUBGROUPS_MARKER);
    // TF.js writes its own lines first; the directive must precede them all.
    const tfjsHeader = 'struct Uniforms { NAN : f32 };\n';
    expect(withEnableDirectives(tfjsHeader + subgroup.getUserCode())).toMatch(
      /^enable subgroups;\nstruct Uniforms/,
    );
    const plain = tfjsHeader + workgroup.getUserCode();
    expect(withEnableDirectives(plain)).toBe(plain);
  });

  it('gives the two styles different shader keys and tiles', () => {
    const subgroup = new TiledMatMulProgram(g, [1, 7, 5], false, 'linear', 'subgroup');
    const workgroup = new TiledMatMulProgram(g, [1, 7, 5]);
    expect(subgroup.shaderKey).not.toBe(workgroup.shaderKey);
    // 7×5 outputs: 2×2 tiles of 4×4 for the subgroup style, one 32×32 tile for workgroup.
    expect(subgroup.workgroups).toBe(4);
    expect(workgroup.workgroups).toBe(1);
  });
});
