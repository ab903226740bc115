import manifestJson from "../python-workloads/src/booster_workloads/pipeline_manifest.json";

/**
 * Typed view of python-workloads/src/booster_workloads/pipeline_manifest.json, the one source of
 * every name the job shares with the workloads. Nothing here re-types a name.
 */
export interface ManifestTask {
  readonly key: string;
  readonly entry_point: string;
  readonly compute: "cpu" | "gpu";
  readonly depends_on: readonly string[];
  readonly timeout_seconds: number;
  readonly max_retries: number;
  readonly retry_on_timeout: boolean;
  readonly parameters: readonly string[];
}

export interface PipelineManifest {
  readonly package: { readonly distribution: string; readonly module: string; readonly console_script: string };
  readonly job: { readonly name: string };
  readonly parameters: Readonly<Record<string, { readonly default: string; readonly description: string }>>;
  readonly tasks: readonly ManifestTask[];
  readonly volumes: Readonly<Record<"checkpoints" | "artifacts" | "scripts", string>>;
  readonly models: Readonly<Record<string, string>>;
  readonly aliases: Readonly<Record<string, string>>;
  readonly gpu_environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, { readonly env: string; readonly key: string }>>;
}

export const manifest: PipelineManifest = manifestJson as PipelineManifest;
