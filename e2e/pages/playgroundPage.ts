import { expect, type Locator, type Page } from '@playwright/test';
import { url } from '../helpers.ts';

/** The run states the status bar shows (src/session/trainerState.ts's RunState). */
export type RunStateText =
  'idle' | 'loading data' | 'training' | 'paused' | 'stopped' | 'done' | 'diverged' | 'failed';

/**
 * The playground page as a person sees it: the status bar, the form and its buttons, the
 * charts, the run comparison and the Runs list. Tests say what they do ("train", "stop") and
 * the selectors live here, once.
 */
export class PlaygroundPage {
  readonly page: Page;
  /** The sticky bar at the top: backend, run state, progress. */
  readonly statusBar: Locator;
  readonly runState: Locator;
  readonly backendName: Locator;
  readonly trainButton: Locator;
  readonly pauseButton: Locator;
  readonly resumeButton: Locator;
  readonly stopButton: Locator;
  readonly comparisonPanel: Locator;
  readonly comparisonTable: Locator;
  /** The comparison table's scroll container, inside its panel. */
  readonly comparisonScroll: Locator;
  readonly comparisonRows: Locator;
  readonly runsList: Locator;
  /** The Runs list's entries, newest first. */
  readonly runItems: Locator;
  readonly runCheckboxes: Locator;
  /** The exercise queue (absent when empty). */
  readonly queue: Locator;
  /** The worker's live tensor count and bytes, in the Data panel. */
  readonly tensorReadout: Locator;
  readonly importRunsInput: Locator;
  readonly importMessage: Locator;
  readonly epochRows: Locator;
  /** "First loss point 2.4 s after Train: …", the worker's timing of the run's start. */
  readonly startupLine: Locator;
  /** The Data panel's notes on the kernel trial and on tuning the kernels (KernelsNote). */
  readonly kernelTrialNote: Locator;
  readonly kernelTuningNote: Locator;
  /** The Kernels setting. */
  readonly kernelsSelect: Locator;

  constructor(page: Page) {
    this.page = page;
    this.runState = page.getByTestId('run-state');
    this.backendName = page.getByTestId('backend-name');
    this.statusBar = page.getByRole('status').filter({ has: this.runState });
    this.trainButton = page.getByRole('button', { name: 'Train', exact: true });
    this.pauseButton = page.getByRole('button', { name: 'Pause', exact: true });
    this.resumeButton = page.getByRole('button', { name: 'Resume', exact: true });
    this.stopButton = page.getByRole('button', { name: 'Stop', exact: true });
    this.comparisonPanel = page.getByRole('region', { name: 'Run comparison' });
    this.comparisonTable = page.getByRole('table', { name: 'Run comparison' });
    this.comparisonScroll = page.getByRole('group', { name: 'Run comparison, scrolls sideways' });
    this.comparisonRows = this.comparisonTable.locator('tbody tr');
    this.runsList = page.getByRole('list', { name: 'Runs', exact: true });
    this.runItems = this.runsList.getByRole('listitem');
    this.runCheckboxes = this.runsList.getByRole('checkbox');
    this.queue = page.getByRole('list', { name: 'Queue' });
    this.tensorReadout = page.getByTestId('tensor-readout');
    this.importRunsInput = page.getByLabel('Import runs (JSON)');
    this.importMessage = page.getByTestId('import-message');
    this.epochRows = page.getByRole('table', { name: 'Epoch metrics' }).locator('tbody tr');
    this.startupLine = page.getByTestId('startup-time');
    this.kernelTrialNote = page.getByTestId('kernel-trial');
    this.kernelTuningNote = page.getByTestId('kernel-tuning');
    this.kernelsSelect = page.getByLabel('Kernels', { exact: true });
  }

  /** Opens the page with `settings` as link parameters and waits for its backend. */
  async open(settings: Record<string, string> = {}): Promise<void> {
    await this.page.goto(url(settings));
    await expect(this.backendName).not.toHaveText('starting…');
  }

  /** A settings field by its label: "Learning rate", "Batch size", … */
  field(label: string): Locator {
    return this.page.getByLabel(label, { exact: true });
  }

  /** The canvas of a chart ("Loss", "Accuracy", "Throughput and memory"). */
  chart(name: string): Locator {
    return this.page.getByRole('img', { name: `${name} chart`, exact: true });
  }

  /** A chart's figure, whose data-points and data-runs attributes count what it draws. */
  chartFigure(name: 'loss' | 'accuracy' | 'throughput'): Locator {
    return this.page.locator(`figure[data-chart="${name}"]`);
  }

  /** An exercise's button ("Learning rate", "Dropout", "Batch norm", …), which queues its runs. */
  exerciseButton(name: string): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  /** The page's alerts (a failed, stopped or diverged run's message) whose text matches. */
  alert(text: string | RegExp): Locator {
    return this.page.getByRole('alert').filter({ hasText: text });
  }

  async train(): Promise<void> {
    await this.trainButton.click();
  }

  async pause(): Promise<void> {
    await this.pauseButton.click();
  }

  async resume(): Promise<void> {
    await this.resumeButton.click();
  }

  async stop(): Promise<void> {
    await this.stopButton.click();
  }

  /** The timings behind startupLine (src/worker/startupTimer.ts StartupTimings). */
  async startupTimings(): Promise<{
    phasesMs: Record<string, number>;
    totalMs: number;
    pipelinesCompiled: number;
  }> {
    return JSON.parse((await this.startupLine.getAttribute('data-timings')) ?? 'null') as {
      phasesMs: Record<string, number>;
      totalMs: number;
      pipelinesCompiled: number;
    };
  }

  /** Waits until the status bar shows `state`; training on a software GPU needs long timeouts. */
  async waitForState(state: RunStateText | RegExp, timeout = 180_000): Promise<void> {
    await expect(this.runState).toHaveText(state, { timeout });
  }

  /** Imports a runs file (the Runs panel's "Import runs (JSON)"); imported runs are selected. */
  async importRuns(name: string, json: string): Promise<void> {
    await this.importRunsInput.setInputFiles({
      name,
      mimeType: 'application/json',
      buffer: Buffer.from(json),
    });
    await expect(this.importMessage).toHaveText(/^Imported \d+ runs?/);
  }

  /** The element that has the keyboard focus. */
  focused(): Locator {
    return this.page.locator(':focus');
  }

  /**
   * Presses Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would, and fails
   * if it is not reached within `maxPresses`: a control the keyboard cannot reach.
   */
  async tabTo(target: Locator, { backwards = false, maxPresses = 120 } = {}): Promise<void> {
    const key = backwards ? 'Shift+Tab' : 'Tab';
    for (let i = 0; i < maxPresses; i++) {
      if (await target.evaluate((element) => element === document.activeElement)) return;
      await this.page.keyboard.press(key);
    }
    await expect(target, `reached with ${key} within ${maxPresses} presses`).toBeFocused();
  }
}
