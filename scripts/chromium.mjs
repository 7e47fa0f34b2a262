// How the tests and the benchmark start Chromium: Debian's build, headless, with WebGPU on
// whatever adapter the machine has (SwiftShader without a GPU). Flags from
// docs/reference.md; without the background-networking ones Chromium keeps dialling
// out on a closed network.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
