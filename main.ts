/**
 * Synthesizes one Terraform stack per environment into cdktf.out/stacks/<env>/ and prints what one
 * pipeline run costs in each. `cdktf synth|diff|deploy` run this file (see cdktf.json).
 */
import { buildApp } from "./stacks/app";
import { estimateRunCost, formatRunCost } from "./stacks/cost-estimate";

// cdktf captures a full stack trace for every token it creates; with source maps on (tsx turns
// them on) each one is mapped back to TypeScript, which costs a third of the synth time.
if (!process.env.BOOSTER_DEBUG) process.setSourceMapsEnabled(false);

function main(): void {
  const { app, configs, skippedValidation } = buildApp();
  app.synth();
  if (skippedValidation) process.stderr.write(`note: ${skippedValidation}\n`);
  for (const config of configs) {
    process.stdout.write(`${formatRunCost(estimateRunCost(config), config.pool.availability)}\n`);
  }
  process.stdout.write(`synthesized ${configs.map((config) => config.name).join(", ")} into ${app.outdir}/stacks\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  if (process.env.BOOSTER_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
}
