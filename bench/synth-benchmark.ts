/**
 * Times the app's synth of every stack, end to end (node start, TypeScript loading, synth,
 * writing cdktf.out), over several runs, and reports the median wall time, CPU time and peak RSS.
 * Writes bench/results/synth.md. Usage: `npm run bench:synth [-- --runs 7]`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const LIMIT_SECONDS = 2;
const LIMIT_MB = 300;

interface RunResult {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
}

const runsFlag = process.argv.indexOf("--runs");
const runs = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write("error: --runs must be a positive integer\n");
  process.exit(2);
}

// The child reports its own peak RSS and CPU time at exit: Node exposes them only in-process.
const work = mkdtempSync(path.join(tmpdir(), "synth-bench-"));
const reporter = path.join(work, "report-usage.cjs");
writeFileSync(
  reporter,
  `process.on("exit", () => { const u = process.resourceUsage();
  require("node:fs").writeFileSync(process.env.SYNTH_BENCH_REPORT, JSON.stringify({ maxRssKb: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime })); });\n`,
);

function runOnce(index: number): RunResult {
  const report = path.join(work, `run-${index}.json`);
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["--require", reporter, "--import", "tsx", "main.ts"], {
    cwd: ROOT,
    env: { ...process.env, SYNTH_BENCH_REPORT: report, CDKTF_OUTDIR: path.join(work, `out-${index}`) },
    encoding: "utf8",
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    throw new Error(`synth run ${index + 1} failed with exit code ${child.status}`);
  }
  const usage = JSON.parse(readFileSync(report, "utf8")) as { maxRssKb: number; cpuUs: number };
  return { wallMs, cpuMs: usage.cpuUs / 1000, peakRssMb: usage.maxRssKb / 1024 };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const results: RunResult[] = [];
const benchStart = Date.now();
for (let index = 0; index < runs; index++) {
  results.push(runOnce(index));
  const done = index + 1;
  const perRun = (Date.now() - benchStart) / done;
  process.stderr.write(
    `run ${done}/${runs}: ${(results[index]!.wallMs / 1000).toFixed(2)} s, ${results[index]!.peakRssMb.toFixed(0)} MB` +
      ` (ETA ${((perRun * (runs - done)) / 1000).toFixed(0)} s)\n`,
  );
}

const wall = median(results.map((r) => r.wallMs)) / 1000;
const cpu = median(results.map((r) => r.cpuMs)) / 1000;
const rss = median(results.map((r) => r.peakRssMb));
const verdict = (ok: boolean): string => (ok ? "within" : "OVER");
const table = [
  "| run | wall (s) | CPU user+sys (s) | peak RSS (MB) |",
  "|---:|---:|---:|---:|",
  ...results.map((r, i) => `| ${i + 1} | ${(r.wallMs / 1000).toFixed(2)} | ${(r.cpuMs / 1000).toFixed(2)} | ${r.peakRssMb.toFixed(0)} |`),
  `| **median** | **${wall.toFixed(2)}** | **${cpu.toFixed(2)}** | **${rss.toFixed(0)}** |`,
].join("\n");
const markdown = `# Synth benchmark

\`npm run bench:synth\`: ${runs} runs of \`node --import tsx main.ts\` (every environment, end to end),
measured ${new Date().toISOString()} on ${cpus().length} CPU cores (load average at the end:
${loadavg()
  .map((value) => value.toFixed(1))
  .join(", ")}; other work on the machine inflates wall time, CPU time is less affected).

${table}

Targets: at most ${LIMIT_SECONDS} s and ${LIMIT_MB} MB (median). Wall time is ${verdict(wall <= LIMIT_SECONDS)} the target,
peak RSS is ${verdict(rss <= LIMIT_MB)} it.
`;
mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(path.join(ROOT, "bench", "results", "synth.md"), markdown);
process.stdout.write(`${table}\nwrote bench/results/synth.md\n`);
