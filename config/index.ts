import { defaultsFor } from "./defaults";
import { dev } from "./dev";
import { prod } from "./prod";
import type { EnvironmentConfig, EnvironmentOverrides } from "./types";
import { ConfigValidationError, validateEnvironment } from "./validate";

export * from "./types";
export { manifest } from "./manifest";
export type { ManifestTask, PipelineManifest } from "./manifest";
export { ConfigValidationError, validateEnvironment, quartzCronProblem, GPU_NODE_FAMILIES } from "./validate";

/** The environments `main.ts` synthesizes; adding one is adding a file and listing it here. */
export const ENVIRONMENTS: readonly EnvironmentOverrides[] = [dev, prod];

/** Lays an environment's overrides over the defaults, one section deep (tags and prices merge). */
export function resolveEnvironment(overrides: EnvironmentOverrides): EnvironmentConfig {
  const base = defaultsFor(overrides.name);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = (base as unknown as Record<string, unknown>)[key];
    const isSection = typeof value === "object" && !Array.isArray(value) && typeof current === "object" && current !== null;
    merged[key] = isSection ? { ...current, ...value } : value;
  }
  const cost = merged.cost as EnvironmentConfig["cost"];
  merged.cost = { ...cost, taskHours: { ...base.cost.taskHours, ...(overrides.cost?.taskHours ?? {}) } };
  return merged as unknown as EnvironmentConfig;
}

/** Resolves and validates environments; throws one error listing every problem of every environment. */
export function loadEnvironments(list: readonly EnvironmentOverrides[] = ENVIRONMENTS): EnvironmentConfig[] {
  const configs = list.map(resolveEnvironment);
  const problems = configs.flatMap(validateEnvironment);
  const names = configs.map((config) => config.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined)
    problems.push(`environment "${duplicate}": name is used by more than one environment, but names must be unique`);
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return configs;
}
