/**
 * The typed configuration of one environment. `config/defaults.ts` holds the values every
 * environment starts from; `config/<env>.ts` overrides what differs. docs/infrastructure.md lists
 * every field with its default.
 */

/** How the GPU tasks get their software. */
export type RuntimeMode = "container" | "ml-runtime";

/** GCP availability values the Databricks API accepts for pools and clusters. */
export const GCP_AVAILABILITIES = ["PREEMPTIBLE_GCP", "PREEMPTIBLE_WITH_FALLBACK_GCP", "ON_DEMAND_GCP"] as const;
export type GcpAvailability = (typeof GCP_AVAILABILITIES)[number];

export interface GcpSettings {
  /** GCP project that holds the Artifact Registry repository. */
  readonly projectId: string;
  /** Region of the repository and of the workspace, e.g. `us-central1`. */
  readonly region: string;
  /** Zone for pool and cluster nodes; L4 (g2) machines exist only in some zones. */
  readonly zone: string;
  /** Service account the clusters run as (and that pulls the image); optional. */
  readonly clusterServiceAccount?: string;
}

export interface DatabricksSettings {
  /** Workspace URL, `https://<id>.<n>.gcp.databricks.com`. */
  readonly workspaceHost: string;
  /** Standard runtime key used in container mode and for the CPU tasks' image. */
  readonly sparkVersion: string;
  /** GPU ML runtime key used in ml-runtime mode. */
  readonly mlGpuSparkVersion: string;
  /** CPU ML runtime key for the CPU tasks in ml-runtime mode. */
  readonly mlCpuSparkVersion: string;
  /**
   * Application id of the service principal the job runs as; it also receives the Unity Catalog
   * grants. Without it the job runs as its creator and no grants are managed for it.
   */
  readonly runAsServicePrincipal?: string;
}

export interface CatalogSettings {
  /** Catalog name; catalogs are metastore-wide, so environments sharing a metastore need distinct names. */
  readonly name: string;
  /** Create the catalog (true) or use an existing one (false, and its grants are left alone). */
  readonly create: boolean;
  /** `gs://` storage root for a created catalog; required by metastores without a default root. */
  readonly storageRoot?: string;
  readonly schema: string;
  /** Group that may read volumes and run the registered models; optional. */
  readonly readersGroup?: string;
}

export interface PoolSettings {
  /** Base name; the environment is appended. */
  readonly name: string;
  readonly nodeType: string;
  readonly minIdleInstances: number;
  readonly maxCapacity: number;
  readonly idleInstanceAutoterminationMinutes: number;
  readonly availability: GcpAvailability;
}

export interface ImageSettings {
  /** Artifact Registry repository id. */
  readonly repositoryId: string;
  /** Image name inside the repository. */
  readonly imageName: string;
  /** Newest versions the cleanup policy keeps. */
  readonly keepVersions: number;
  /** Versions older than this are deleted unless kept by `keepVersions`. */
  readonly deleteOlderThanDays: number;
  /** IAM member that pulls the image (`serviceAccount:...`); required in container mode. */
  readonly pullerMember?: string;
}

export interface ScheduleSettings {
  /** Quartz cron with seconds, e.g. `0 0 2 * * ?`. */
  readonly quartzCron: string;
  /** IANA time zone id, e.g. `UTC` or `Europe/Berlin`. */
  readonly timezone: string;
  readonly paused: boolean;
}

export interface JobSettings {
  /** Base job name; the environment is appended. */
  readonly name: string;
  /** Node type of the single-node CPU cluster (setup, convert, submit). */
  readonly cpuNodeType: string;
  /** Availability of the CPU cluster (it is not on the pool). */
  readonly cpuAvailability: GcpAvailability;
  /** Must not exceed the pool's capacity: each run holds one GPU node while a GPU task runs. */
  readonly maxConcurrentRuns: number;
  /** Wait between a failed attempt and its retry. */
  readonly retryIntervalMinutes: number;
  /** Run-duration health rule: warn by e-mail when a run takes longer. */
  readonly runDurationWarningSeconds: number;
  readonly onFailureEmails: readonly string[];
  readonly onSuccessEmails: readonly string[];
  /** Omit for manual runs only (`databricks jobs run-now`). */
  readonly schedule?: ScheduleSettings;
  /** Per-task `max_retries` that differ from the manifest's, by task key. */
  readonly maxRetriesOverrides: Readonly<Record<string, number>>;
  /** Job parameter defaults that differ from the manifest's (e.g. `pretrain_steps`). */
  readonly parameterOverrides: Readonly<Record<string, string>>;
}

export interface DevClusterSettings {
  readonly enabled: boolean;
  readonly nodeType: string;
  readonly autoterminationMinutes: number;
  /** The one user of the dedicated (single-user) cluster; required when enabled. */
  readonly userName?: string;
}

export interface TrackingSettings {
  /** MLflow experiment workspace path; also the job's `experiment` parameter default. */
  readonly experimentPath: string;
  /** Secret scope holding the W&B and SAI keys (values are put in by hand, never by Terraform). */
  readonly secretScope: string;
}

export interface TerraformCloudSettings {
  readonly organization: string;
  /** One workspace per environment. */
  readonly workspace: string;
  /** @default app.terraform.io */
  readonly hostname?: string;
}

/**
 * Prices behind the cost estimate. They are list-price assumptions in USD; replace them with your
 * contract's figures. The L4 prices are the ones the original design quotes.
 */
export interface CostSettings {
  /** Expected hours per task of one pipeline run (the spec's midpoints). */
  readonly taskHours: Readonly<Record<string, number>>;
  /** GPU node price per hour on demand. */
  readonly gpuOnDemandPerHour: number;
  /** GPU node price per hour when preemptible. */
  readonly gpuPreemptiblePerHour: number;
  /** CPU node price per hour on demand. */
  readonly cpuOnDemandPerHour: number;
  /** CPU node price per hour when preemptible. */
  readonly cpuPreemptiblePerHour: number;
  /** DBUs per hour the GPU node type consumes. */
  readonly gpuDbuPerHour: number;
  /** DBUs per hour the CPU node type consumes. */
  readonly cpuDbuPerHour: number;
  /** USD per DBU for jobs compute. */
  readonly jobsDbuPrice: number;
  /** USD per DBU for all-purpose compute. */
  readonly allPurposeDbuPrice: number;
}

export interface EnvironmentConfig {
  /** Lowercase name; used as the stack name and as the suffix of colliding names. */
  readonly name: string;
  readonly runtimeMode: RuntimeMode;
  readonly gcp: GcpSettings;
  readonly databricks: DatabricksSettings;
  readonly catalog: CatalogSettings;
  readonly pool: PoolSettings;
  readonly image: ImageSettings;
  readonly job: JobSettings;
  readonly devCluster: DevClusterSettings;
  readonly tracking: TrackingSettings;
  /** Local state unless set. */
  readonly terraformCloud?: TerraformCloudSettings;
  /** Cost-attribution tags put on the pool, clusters, job and repository. */
  readonly tags: Readonly<Record<string, string>>;
  readonly cost: CostSettings;
}

/** Deep-partial overrides an environment file gives on top of the defaults. */
export type EnvironmentOverrides = {
  readonly name: string;
} & {
  readonly [K in Exclude<keyof EnvironmentConfig, "name">]?: EnvironmentConfig[K] extends Readonly<Record<string, string>>
    ? EnvironmentConfig[K]
    : EnvironmentConfig[K] extends readonly unknown[]
      ? EnvironmentConfig[K]
      : EnvironmentConfig[K] extends object
        ? Partial<EnvironmentConfig[K]>
        : EnvironmentConfig[K];
};
