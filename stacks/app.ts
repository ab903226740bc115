import { App } from "cdktf";
import { accessSync, constants } from "node:fs";
import * as path from "node:path";
import { loadEnvironments } from "../config";
import type { EnvironmentConfig, EnvironmentOverrides } from "../config/types";
import { REPOSITORY_ROOT } from "../constructs/container-image/content-hash";
import { PipelineStack } from "./pipeline-stack";

export interface BuildAppOptions {
  /** @default - every environment in config/ */
  readonly environments?: readonly EnvironmentOverrides[];
  /** @default $CDKTF_OUTDIR (set by the cdktf CLI), else <repositoryRoot>/cdktf.out */
  readonly outdir?: string;
  /** @default - this checkout */
  readonly repositoryRoot?: string;
  /** @default process.env.PATH */
  readonly searchPath?: string;
}

/** Whether a `terraform` executable is on the search path (checked without running it). */
export function terraformOnPath(searchPath = process.env.PATH ?? ""): boolean {
  return searchPath
    .split(path.delimiter)
    .filter(Boolean)
    .some((directory) => {
      try {
        accessSync(path.join(directory, "terraform"), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export interface BuiltApp {
  readonly app: App;
  readonly stacks: PipelineStack[];
  readonly configs: EnvironmentConfig[];
  /** Why cdktf's own validations were skipped, if they were. */
  readonly skippedValidation?: string;
}

/** One PipelineStack per environment, state and working directories under `outdir`. */
export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  const root = options.repositoryRoot ?? REPOSITORY_ROOT;
  const outdir = path.resolve(options.outdir ?? process.env.CDKTF_OUTDIR ?? path.join(root, "cdktf.out"));
  const configs = loadEnvironments(options.environments);
  // CloudBackend asks the terraform binary for its version during validation; synth itself needs
  // no terraform, so without one the check is skipped (our own checks run regardless).
  const skippedValidation =
    configs.some((config) => config.terraformCloud) && !terraformOnPath(options.searchPath)
      ? "no terraform on PATH: skipped the Terraform Cloud version check (terraform >= 1.1 is needed to deploy)"
      : undefined;
  const app = new App({ outdir, skipValidation: skippedValidation !== undefined });
  const stacks = configs.map(
    (config) =>
      new PipelineStack(app, {
        config,
        repositoryRoot: root,
        terraformWorkingDir: path.join(outdir, "stacks", config.name),
      }),
  );
  return { app, stacks, configs, skippedValidation };
}
