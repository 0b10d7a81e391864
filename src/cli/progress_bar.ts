// A one-line progress bar for long tasks, drawn on stderr only when stderr is a terminal, so
// that redirected or piped runs get nothing on stderr but errors.

const WIDTH = 30;
const REDRAW_MS = 100;

/** The bar's text: `label [#####.....]  45% 72/160 batches, 1.2 s, about 1.5 s left`. */
export function formatProgress(
  label: string,
  done: number,
  total: number,
  unit: string,
  elapsedMs: number,
): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(fraction * WIDTH);
  const bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  let line = `${label} [${bar}] ${percent} ${done}/${total} ${unit}, ` +
    `${(elapsedMs / 1e3).toFixed(1)} s`;
  if (done > 0 && done < total) {
    line += `, about ${(elapsedMs / done * (total - done) / 1e3).toFixed(1)} s left`;
  }
  return line;
}

/** Progress of `total` steps, redrawn in place at most every 100 ms. */
export class ProgressBar {
  readonly #label: string;
  readonly #total: number;
  readonly #unit: string;
  readonly #enabled: boolean;
  readonly #start = performance.now();
  #lastDrawn = -Infinity;

  /**
   * @param label What is in progress.
   * @param total The number of steps.
   * @param unit What a step is, e.g. `"batches"`.
   * @param enabled Whether to draw (default: when stderr is a terminal).
   */
  constructor(label: string, total: number, unit: string, enabled = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#total = total;
    this.#unit = unit;
    this.#enabled = enabled;
  }

  /**
   * Reports `done` steps finished; draws when enough time has passed, and at the last step.
   * `detail` (e.g. the latest loss) is appended to the line.
   */
  update(done: number, detail?: string): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDrawn < REDRAW_MS && done < this.#total) return;
    this.#lastDrawn = now;
    let line = formatProgress(this.#label, done, this.#total, this.#unit, now - this.#start);
    if (detail !== undefined) line += `, ${detail}`;
    Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${line}`));
  }

  /** Removes the bar, leaving the terminal's line empty for what is printed next. */
  clear(): void {
    if (this.#enabled) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
  }
}
