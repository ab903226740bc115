import { App, Testing, TerraformStack } from "cdktf";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { dev } from "../config/dev";
import { resolveEnvironment } from "../config";
import type { EnvironmentConfig, EnvironmentOverrides } from "../config/types";
import { PipelineStack } from "../stacks/pipeline-stack";

/** Files of a small repository with fixed content, so snapshots do not change with the real code. */
export const FIXTURE_FILES: Readonly<Record<string, string>> = {
  "python-workloads/pyproject.toml": '[project]\nname = "booster-workloads"\nversion = "0.1.0"\n',
  "python-workloads/requirements.lock": "numpy==2.1.0\n",
  "python-workloads/src/booster_workloads/__init__.py": '"""Fixture package."""\n',
  "docker/Dockerfile": "FROM databricksruntime/gpu-base:cuda12\n",
  "docker/install_mjx.sh": "#!/usr/bin/env bash\npip install -r requirements.lock\n",
};

/** Writes the fixture repository into a fresh temporary directory and returns its path. */
export function makeFixtureRepo(files: Readonly<Record<string, string>> = FIXTURE_FILES): string {
  const root = mkdtempSync(path.join(tmpdir(), "booster-fixture-"));
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), content);
  }
  return root;
}

type Patch = { readonly [K in keyof EnvironmentConfig]?: unknown };

/** The dev configuration (or `base`) with sections patched one level deep. */
export function configWith(patch: Patch = {}, base: EnvironmentOverrides = dev): EnvironmentConfig {
  const resolved = resolveEnvironment(base) as unknown as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...resolved };
  for (const [key, value] of Object.entries(patch)) {
    const current = resolved[key];
    merged[key] =
      typeof value === "object" && value !== null && !Array.isArray(value) && typeof current === "object" && current !== null
        ? { ...current, ...value }
        : value;
  }
  return merged as unknown as EnvironmentConfig;
}

export interface SynthesizedStack {
  readonly stack: PipelineStack;
  readonly synthesized: string;
  readonly json: {
    resource: Record<string, Record<string, Record<string, unknown>>>;
    terraform: Record<string, unknown>;
    output: Record<string, { value: unknown }>;
  };
}

let sharedFixture: string | undefined;
/** One fixture repository per test file is enough: it is never modified. */
export function fixtureRepo(): string {
  sharedFixture ??= makeFixtureRepo();
  return sharedFixture;
}

/** A PipelineStack for `config` over the fixture repository, synthesized. */
export function makeStack(config: EnvironmentConfig, root = fixtureRepo()): SynthesizedStack {
  const app = Testing.app();
  const stack = new PipelineStack(app, {
    config,
    repositoryRoot: root,
    terraformWorkingDir: path.join(root, "cdktf.out", "stacks", config.name),
  });
  const synthesized = Testing.synth(stack);
  return { stack, synthesized, json: JSON.parse(synthesized) };
}

/** A bare stack for testing one construct. */
export function bareStack(): { app: App; stack: TerraformStack } {
  const app = Testing.app();
  return { app, stack: new TerraformStack(app, "test") };
}

/** The only resource of a type in synthesized JSON. */
export function onlyResource(json: SynthesizedStack["json"], type: string): Record<string, any> {
  const resources = Object.values(json.resource[type] ?? {});
  if (resources.length !== 1) throw new Error(`expected one ${type}, found ${resources.length}`);
  return resources[0] as Record<string, any>;
}
