import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { Aspects, CloudBackend, LocalBackend, NamedCloudWorkspace, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import * as path from "node:path";
import { manifest } from "../config/manifest";
import type { EnvironmentConfig } from "../config/types";
import { ConfigValidationError, validateEnvironment } from "../config/validate";
import { computeImageTag, REPOSITORY_ROOT } from "../constructs/container-image/content-hash";
import { ContainerImage } from "../constructs/container-image";
import { DevCluster } from "../constructs/dev-cluster";
import { ClusterRulesAspect } from "../constructs/rules/cluster-rules";
import { Tracking } from "../constructs/tracking";
import { TrainPool } from "../constructs/train-pool";
import { TrainingJob } from "../constructs/training-job";
import { UnityCatalog } from "../constructs/unity-catalog";
import { WorkloadBundle } from "../constructs/workload-bundle";

/** The provider versions the prebuilt bindings were generated from. */
export const PROVIDER_VERSIONS = { databricks: "1.99.0", google: "6.50.0" } as const;

export interface PipelineStackProps {
  readonly config: EnvironmentConfig;
  /** Repository holding python-workloads/ and docker/. @default - this checkout */
  readonly repositoryRoot?: string;
  /** Directory Terraform runs in. @default - <repositoryRoot>/cdktf.out/stacks/<environment> */
  readonly terraformWorkingDir?: string;
}

/** One environment's whole platform: catalog, pool, image, bundle, job, dev cluster, tracking. */
export class PipelineStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly catalog: UnityCatalog;
  readonly pool: TrainPool;
  readonly image?: ContainerImage;
  readonly bundle: WorkloadBundle;
  readonly tracking: Tracking;
  readonly trainingJob: TrainingJob;
  readonly devCluster?: DevCluster;

  constructor(scope: Construct, props: PipelineStackProps) {
    const { config } = props;
    super(scope, config.name);
    const problems = validateEnvironment(config);
    if (problems.length > 0) throw new ConfigValidationError(problems);
    this.config = config;
    const env = config.name;
    const root = props.repositoryRoot ?? REPOSITORY_ROOT;
    const workingDir = props.terraformWorkingDir ?? path.join(root, "cdktf.out", "stacks", env);

    this.configureBackend(config, root, workingDir);
    new DatabricksProvider(this, "databricks", { host: config.databricks.workspaceHost });
    new GoogleProvider(this, "google", { project: config.gcp.projectId, region: config.gcp.region });
    for (const [provider, version] of Object.entries(PROVIDER_VERSIONS)) {
      this.addOverride(`terraform.required_providers.${provider}.version`, version);
    }

    const runAs = config.databricks.runAsServicePrincipal;
    const containerMode = config.runtimeMode === "container";

    this.catalog = new UnityCatalog(this, "UnityCatalog", {
      catalogName: config.catalog.name,
      createCatalog: config.catalog.create,
      catalogStorageRoot: config.catalog.storageRoot,
      schemaName: config.catalog.schema,
      volumeNames: Object.values(manifest.volumes),
      modelNames: Object.values(manifest.models),
      jobPrincipal: runAs,
      readersGroup: config.catalog.readersGroup,
    });

    this.tracking = new Tracking(this, "Tracking", {
      experimentPath: config.tracking.experimentPath,
      secretScopeName: config.tracking.secretScope,
      secretKeys: Object.fromEntries(Object.values(manifest.secrets).map((secret) => [secret.env, secret.key])),
      readerPrincipal: runAs,
    });

    if (containerMode) {
      this.image = new ContainerImage(this, "ContainerImage", {
        projectId: config.gcp.projectId,
        location: config.gcp.region,
        repositoryId: config.image.repositoryId,
        imageName: config.image.imageName,
        tag: computeImageTag(root),
        keepVersions: config.image.keepVersions,
        deleteOlderThanDays: config.image.deleteOlderThanDays,
        pullerMember: config.image.pullerMember,
        labels: config.tags,
      });
    }

    const volumes = this.catalog.volumePaths;
    this.bundle = new WorkloadBundle(this, "WorkloadBundle", {
      repositoryRoot: root,
      terraformWorkingDir: workingDir,
      distribution: manifest.package.distribution,
      artifactsVolumePath: volumes[manifest.volumes.artifacts]!,
      scriptsVolumePath: volumes[manifest.volumes.scripts]!,
      dependsOn: Object.values(this.catalog.volumes),
    });

    const sparkVersionForPool = containerMode ? config.databricks.sparkVersion : config.databricks.mlGpuSparkVersion;
    this.pool = new TrainPool(this, "TrainPool", {
      poolName: `${config.pool.name}-${env}`,
      nodeType: config.pool.nodeType,
      minIdleInstances: config.pool.minIdleInstances,
      maxCapacity: config.pool.maxCapacity,
      idleInstanceAutoterminationMinutes: config.pool.idleInstanceAutoterminationMinutes,
      availability: config.pool.availability,
      zone: config.gcp.zone,
      preloadedSparkVersion: sparkVersionForPool,
      preloadedDockerImage: this.image?.imageUrl,
      tags: config.tags,
    });

    const parameters: Record<string, string> = Object.fromEntries(
      Object.entries(manifest.parameters).map(([name, parameter]) => [name, parameter.default]),
    );
    // The stack's own names are the defaults; explicit overrides win.
    Object.assign(parameters, {
      catalog: config.catalog.name,
      schema: config.catalog.schema,
      experiment: config.tracking.experimentPath,
      ...config.job.parameterOverrides,
    });
    const tasks = manifest.tasks.map((task) => ({
      ...task,
      max_retries: config.job.maxRetriesOverrides[task.key] ?? task.max_retries,
    }));

    const software = {
      runtimeMode: config.runtimeMode,
      standardSparkVersion: config.databricks.sparkVersion,
      mlGpuSparkVersion: config.databricks.mlGpuSparkVersion,
      dockerImageUrl: this.image?.imageUrl,
      initScriptVolumePath: containerMode ? undefined : this.bundle.initScriptVolumePath,
    };
    this.trainingJob = new TrainingJob(this, "TrainingJob", {
      ...software,
      jobName: `${config.job.name}_${env}`,
      tasks,
      packageName: manifest.package.distribution,
      wheelVolumePath: this.bundle.wheelVolumePath,
      parameters,
      mlCpuSparkVersion: config.databricks.mlCpuSparkVersion,
      gpuPoolId: this.pool.poolId,
      cpuNodeType: config.job.cpuNodeType,
      cpuAvailability: config.job.cpuAvailability,
      zone: config.gcp.zone,
      googleServiceAccount: config.gcp.clusterServiceAccount,
      gpuEnvironment: manifest.gpu_environment,
      secretEnvironment: this.tracking.secretEnvironment,
      retryIntervalMinutes: config.job.retryIntervalMinutes,
      maxConcurrentRuns: config.job.maxConcurrentRuns,
      runDurationWarningSeconds: config.job.runDurationWarningSeconds,
      onFailureEmails: config.job.onFailureEmails,
      onSuccessEmails: config.job.onSuccessEmails,
      schedule: config.job.schedule,
      runAsServicePrincipal: runAs,
      singleUserName: runAs,
      tags: config.tags,
      dependsOn: [this.bundle.wheelFile],
    });

    if (config.devCluster.enabled) {
      this.devCluster = new DevCluster(this, "DevCluster", {
        ...software,
        clusterName: `booster-dev-${env}`,
        userName: config.devCluster.userName!,
        nodeType: config.devCluster.nodeType,
        autoterminationMinutes: config.devCluster.autoterminationMinutes,
        zone: config.gcp.zone,
        wheelVolumePath: this.bundle.wheelVolumePath,
        environment: { ...manifest.gpu_environment, ...this.tracking.secretEnvironment },
        googleServiceAccount: config.gcp.clusterServiceAccount,
        tags: config.tags,
        dependsOn: [this.bundle.wheelFile],
      });
    }

    new TerraformOutput(this, "job_id", { value: this.trainingJob.job.id });
    new TerraformOutput(this, "job_url", { value: this.trainingJob.job.url });
    new TerraformOutput(this, "pool_id", { value: this.pool.poolId });
    new TerraformOutput(this, "wheel_path", { value: this.bundle.wheelVolumePath });
    new TerraformOutput(this, "experiment_id", { value: this.tracking.experiment.id });
    new TerraformOutput(this, "volume_paths", { value: volumes });
    if (this.image) new TerraformOutput(this, "image_url", { value: this.image.imageUrl });
    if (!containerMode) new TerraformOutput(this, "init_script_path", { value: this.bundle.initScriptVolumePath });
    if (this.devCluster) new TerraformOutput(this, "dev_cluster_id", { value: this.devCluster.cluster.id });

    Aspects.of(this).add(new ClusterRulesAspect(env));
  }

  private configureBackend(config: EnvironmentConfig, root: string, workingDir: string): void {
    if (config.terraformCloud) {
      new CloudBackend(this, {
        hostname: config.terraformCloud.hostname ?? "app.terraform.io",
        organization: config.terraformCloud.organization,
        workspaces: new NamedCloudWorkspace(config.terraformCloud.workspace),
      });
      return;
    }
    // Relative to the working directory, so the state lands in the repository root (git-ignored)
    // whoever checks it out and wherever.
    const statePath = path
      .relative(workingDir, path.join(root, `terraform.${config.name}.tfstate`))
      .split(path.sep)
      .join("/");
    new LocalBackend(this, { path: statePath });
  }
}
