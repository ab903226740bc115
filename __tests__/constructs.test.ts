import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { ArtifactRegistryRepositoryIamMember } from "@cdktf/provider-google/lib/artifact-registry-repository-iam-member";
import { Catalog } from "@cdktf/provider-databricks/lib/catalog";
import { Cluster } from "@cdktf/provider-databricks/lib/cluster";
import { Grants } from "@cdktf/provider-databricks/lib/grants";
import { InstancePool } from "@cdktf/provider-databricks/lib/instance-pool";
import { MlflowExperiment } from "@cdktf/provider-databricks/lib/mlflow-experiment";
import { RegisteredModel } from "@cdktf/provider-databricks/lib/registered-model";
import { Schema } from "@cdktf/provider-databricks/lib/schema";
import { SecretAcl } from "@cdktf/provider-databricks/lib/secret-acl";
import { SecretScope } from "@cdktf/provider-databricks/lib/secret-scope";
import { Volume } from "@cdktf/provider-databricks/lib/volume";
import { Testing } from "cdktf";
import { ContainerImage } from "../constructs/container-image";
import { DevCluster } from "../constructs/dev-cluster";
import { Tracking } from "../constructs/tracking";
import { TrainPool } from "../constructs/train-pool";
import { TrainingJob } from "../constructs/training-job";
import { UnityCatalog } from "../constructs/unity-catalog";
import { manifest } from "../config/manifest";
import { bareStack } from "./helpers";

describe("UnityCatalog", () => {
  it("creates catalog, schema, volumes and models, and grants the job principal and readers", () => {
    const { stack } = bareStack();
    const uc = new UnityCatalog(stack, "UC", {
      catalogName: "booster_soccer",
      catalogStorageRoot: "gs://bucket/uc",
      schemaName: "rl_models",
      volumeNames: ["checkpoints", "artifacts"],
      modelNames: ["ddpg_finetuned"],
      jobPrincipal: "sp-app-id",
      readersGroup: "readers",
    });
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(Catalog, { name: "booster_soccer", storage_root: "gs://bucket/uc" });
    expect(out).toHaveResourceWithProperties(Schema, { name: "rl_models" });
    expect(out).toHaveResourceWithProperties(Volume, { name: "checkpoints", volume_type: "MANAGED" });
    expect(out).toHaveResourceWithProperties(RegisteredModel, { name: "ddpg_finetuned", owner: "sp-app-id" });
    expect(out).toHaveResourceWithProperties(Grants, {
      catalog: expect.stringMatching(/^\$\{databricks_catalog\.UC_Catalog_[0-9A-F]+\.name\}$/),
      grant: [
        { principal: "sp-app-id", privileges: ["USE_CATALOG"] },
        { principal: "readers", privileges: ["USE_CATALOG"] },
      ],
    });
    expect(uc.volumePaths).toEqual({
      checkpoints: "/Volumes/booster_soccer/rl_models/checkpoints",
      artifacts: "/Volumes/booster_soccer/rl_models/artifacts",
    });
  });

  it("leaves an existing catalog and its grants alone", () => {
    const { stack } = bareStack();
    new UnityCatalog(stack, "UC", {
      catalogName: "shared",
      createCatalog: false,
      schemaName: "s",
      volumeNames: [],
      modelNames: [],
      jobPrincipal: "sp",
    });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.resource.databricks_catalog).toBeUndefined();
    expect(Object.values(json.resource.databricks_grants).some((g: any) => g.catalog)).toBe(false);
    expect(json.resource.databricks_schema).toBeDefined();
  });

  it("manages no grants when neither a job principal nor readers are given", () => {
    const { stack } = bareStack();
    new UnityCatalog(stack, "UC", { catalogName: "c", schemaName: "s", volumeNames: ["v"], modelNames: ["m"] });
    expect(JSON.parse(Testing.synth(stack)).resource.databricks_grants).toBeUndefined();
  });
});

describe("TrainPool", () => {
  it("defaults to the spec's preemptible L4 pool", () => {
    const { stack } = bareStack();
    new TrainPool(stack, "Pool", {
      poolName: "p",
      zone: "us-central1-a",
      preloadedSparkVersion: "16.4.x-scala2.12",
      preloadedDockerImage: "r/i:t",
    });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(InstancePool, {
      instance_pool_name: "p",
      node_type_id: "g2-standard-12",
      min_idle_instances: 0,
      max_capacity: 2,
      idle_instance_autotermination_minutes: 60,
      gcp_attributes: { gcp_availability: "PREEMPTIBLE_GCP", zone_id: "us-central1-a" },
      preloaded_spark_versions: ["16.4.x-scala2.12"],
      preloaded_docker_image: [{ url: "r/i:t" }],
    });
  });

  it("takes preemptible with fallback when asked", () => {
    const { stack } = bareStack();
    new TrainPool(stack, "Pool", { poolName: "p", zone: "z", preloadedSparkVersion: "v", availability: "PREEMPTIBLE_WITH_FALLBACK_GCP" });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(InstancePool, {
      gcp_attributes: { gcp_availability: "PREEMPTIBLE_WITH_FALLBACK_GCP", zone_id: "z" },
    });
  });

  it("keeps the resource id stable (renaming it would replace the pool)", () => {
    const { stack } = bareStack();
    new TrainPool(stack, "TrainPool", { poolName: "p", zone: "z", preloadedSparkVersion: "v" });
    expect(Object.keys(JSON.parse(Testing.synth(stack)).resource.databricks_instance_pool)).toEqual(["TrainPool_EBF83DDA"]);
  });
});

describe("ContainerImage", () => {
  it("declares an immutable Docker repository with a keep-newest cleanup policy and reader IAM", () => {
    const { stack } = bareStack();
    const image = new ContainerImage(stack, "Image", {
      projectId: "proj-123",
      location: "us-central1",
      repositoryId: "booster",
      tag: "0123456789abcdef",
      keepVersions: 5,
      pullerMember: "serviceAccount:sa@proj-123.iam.gserviceaccount.com",
      labels: { Project: "Booster Soccer" },
    });
    const out = Testing.synth(stack);
    expect(image.imageUrl).toBe("us-central1-docker.pkg.dev/proj-123/booster/booster-rl:0123456789abcdef");
    expect(out).toHaveResourceWithProperties(ArtifactRegistryRepository, {
      format: "DOCKER",
      repository_id: "booster",
      docker_config: { immutable_tags: true },
      cleanup_policies: [
        { id: "delete-old", action: "DELETE", condition: { tag_state: "ANY", older_than: "2592000s" } },
        { id: "keep-newest", action: "KEEP", most_recent_versions: { keep_count: 5 } },
      ],
      labels: { project: "booster_soccer" },
    });
    expect(out).toHaveResourceWithProperties(ArtifactRegistryRepositoryIamMember, {
      role: "roles/artifactregistry.reader",
      member: "serviceAccount:sa@proj-123.iam.gserviceaccount.com",
    });
  });
});

describe("TrainingJob", () => {
  const base = {
    jobName: "j",
    tasks: manifest.tasks,
    packageName: "booster-workloads",
    wheelVolumePath: "/Volumes/c/s/artifacts/wheels/h/w.whl",
    parameters: Object.fromEntries(Object.entries(manifest.parameters).map(([k, v]) => [k, v.default])),
    standardSparkVersion: "16.4.x-scala2.12",
    mlGpuSparkVersion: "16.4.x-gpu-ml-scala2.12",
    mlCpuSparkVersion: "16.4.x-cpu-ml-scala2.12",
    dockerImageUrl: "r/i:t",
    gpuPoolId: "pool-1",
    zone: "us-central1-a",
  };

  it("fails when a task needs a parameter the job does not define", () => {
    const { stack } = bareStack();
    expect(() => new TrainingJob(stack, "Job", { ...base, parameters: { catalog: "c" } })).toThrow(
      /task setup takes parameters schema, profile, seed, experiment that the job does not define/,
    );
  });

  it("has no schedule, notifications or run_as unless configured", () => {
    const { stack } = bareStack();
    new TrainingJob(stack, "Job", base);
    const job: any = Object.values(JSON.parse(Testing.synth(stack)).resource.databricks_job)[0];
    expect(job.schedule).toBeUndefined();
    expect(job.email_notifications).toBeUndefined();
    expect(job.run_as).toBeUndefined();
    expect(job.queue).toEqual({ enabled: true });
  });
});

describe("DevCluster", () => {
  it("is an on-demand single-node L4 with the wheel installed", () => {
    const { stack } = bareStack();
    new DevCluster(stack, "Dev", {
      clusterName: "dev",
      userName: "me@example.com",
      zone: "us-central1-a",
      standardSparkVersion: "16.4.x-scala2.12",
      mlGpuSparkVersion: "16.4.x-gpu-ml-scala2.12",
      dockerImageUrl: "r/i:t",
      wheelVolumePath: "/Volumes/c/s/a/w.whl",
    });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Cluster, {
      cluster_name: "dev",
      node_type_id: "g2-standard-12",
      num_workers: 0,
      autotermination_minutes: 60,
      docker_image: { url: "r/i:t" },
      gcp_attributes: { availability: "ON_DEMAND_GCP", zone_id: "us-central1-a" },
      library: [{ whl: "/Volumes/c/s/a/w.whl" }],
      custom_tags: { ResourceClass: "SingleNode" },
    });
  });
});

describe("Tracking", () => {
  it("creates the experiment and the scope, lets the job read it, and hands out references only", () => {
    const { stack } = bareStack();
    const tracking = new Tracking(stack, "Tracking", {
      experimentPath: "/Shared/x",
      secretScopeName: "scope",
      secretKeys: { WANDB_API_KEY: "wandb-api-key" },
      readerPrincipal: "sp",
    });
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(MlflowExperiment, { name: "/Shared/x" });
    expect(out).toHaveResourceWithProperties(SecretScope, { name: "scope" });
    expect(out).toHaveResourceWithProperties(SecretAcl, { principal: "sp", permission: "READ" });
    expect(tracking.secretEnvironment).toEqual({ WANDB_API_KEY: "{{secrets/scope/wandb-api-key}}" });
  });
});
