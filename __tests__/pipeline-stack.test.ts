import { CloudBackend } from "cdktf";
import { InstancePool } from "@cdktf/provider-databricks/lib/instance-pool";
import { Job } from "@cdktf/provider-databricks/lib/job";
import { Cluster } from "@cdktf/provider-databricks/lib/cluster";
import { dev } from "../config/dev";
import { prod } from "../config/prod";
import { manifest } from "../config/manifest";
import { CLUSTER_KEYS } from "../constructs/training-job";
import { configWith, makeStack, onlyResource } from "./helpers";

describe("dev stack", () => {
  const { synthesized, json } = makeStack(configWith({}, dev));
  const job = onlyResource(json, "databricks_job");

  it("matches the reviewed snapshot", () => {
    expect(synthesized).toMatchSnapshot();
  });

  it("draws GPU nodes from a preemptible g2-standard-12 pool", () => {
    expect(synthesized).toHaveResourceWithProperties(InstancePool, {
      instance_pool_name: "booster-train-pool-dev",
      node_type_id: "g2-standard-12",
      min_idle_instances: 0,
      max_capacity: 2,
      idle_instance_autotermination_minutes: 60,
      gcp_attributes: { gcp_availability: "PREEMPTIBLE_GCP", zone_id: "us-central1-a" },
      preloaded_spark_versions: ["16.4.x-scala2.12"],
    });
  });

  it("chains the five tasks setup, pretrain, convert, finetune, submit", () => {
    const chain = job.task.map((task: any) => [task.task_key, task.depends_on?.map((d: any) => d.task_key) ?? []]);
    expect(chain).toEqual([
      ["setup", []],
      ["pretrain", ["setup"]],
      ["convert", ["pretrain"]],
      ["finetune", ["convert"]],
      ["submit", ["finetune"]],
    ]);
  });

  it("retries GPU tasks twice, on timeout too, after an interval", () => {
    for (const key of ["pretrain", "finetune"]) {
      const task = job.task.find((t: any) => t.task_key === key);
      expect(task).toMatchObject({ max_retries: 2, retry_on_timeout: true, min_retry_interval_millis: 300000 });
    }
  });

  it("sets the spec's task timeouts", () => {
    const timeouts = Object.fromEntries(job.task.map((task: any) => [task.task_key, task.timeout_seconds]));
    expect(timeouts).toMatchObject({ setup: 1800, pretrain: 28800 });
  });

  it("runs the GPU cluster on the pool with a standard runtime and the image, never an ML runtime", () => {
    const gpu = job.job_cluster.find((c: any) => c.job_cluster_key === CLUSTER_KEYS.gpu).new_cluster;
    expect(gpu.spark_version).toBe("16.4.x-scala2.12");
    expect(gpu.spark_version).not.toMatch(/-ml-/);
    expect(gpu.docker_image.url).toMatch(/^us-central1-docker\.pkg\.dev\/booster-soccer-dev\/booster-soccer-dev\/booster-rl:[0-9a-f]{16}$/);
    expect(gpu.data_security_mode).toBe("SINGLE_USER");
    expect(gpu.spark_conf["spark.databricks.unityCatalog.volumes.enabled"]).toBe("true");
    expect(gpu.instance_pool_id).toMatch(/databricks_instance_pool\./);
    expect(gpu.gcp_attributes).toBeUndefined();
    expect(gpu.node_type_id).toBeUndefined();
  });

  it("gives every job cluster the single-node configuration", () => {
    for (const { new_cluster: cluster } of job.job_cluster) {
      expect(cluster.num_workers).toBe(0);
      expect(cluster.spark_conf).toMatchObject({ "spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*]" });
      expect(cluster.custom_tags.ResourceClass).toBe("SingleNode");
    }
    const cpu = job.job_cluster.find((c: any) => c.job_cluster_key === CLUSTER_KEYS.cpu).new_cluster;
    expect(cpu.node_type_id).toBe("n2-standard-4");
  });

  it("pauses the schedule in dev and notifies on failure", () => {
    expect(synthesized).toHaveResourceWithProperties(Job, {
      name: "booster_soccer_pipeline_dev",
      schedule: { quartz_cron_expression: "0 0 2 * * ?", timezone_id: "UTC", pause_status: "PAUSED" },
      email_notifications: { on_failure: ["ml-platform@example.com"], on_duration_warning_threshold_exceeded: ["ml-platform@example.com"] },
      health: { rules: [{ metric: "RUN_DURATION_SECONDS", op: "GREATER_THAN", value: 36000 }] },
      max_concurrent_runs: 1,
      tags: { project: "booster-soccer", environment: "dev" },
    });
  });

  it("has the on-demand single-node L4 dev cluster with 60 minutes auto-termination", () => {
    expect(synthesized).toHaveResourceWithProperties(Cluster, {
      node_type_id: "g2-standard-12",
      num_workers: 0,
      autotermination_minutes: 60,
      data_security_mode: "SINGLE_USER",
      single_user_name: "developer@example.com",
      gcp_attributes: { availability: "ON_DEMAND_GCP", zone_id: "us-central1-a" },
    });
  });

  it("keeps the ids of the stateful resources stable (a rename replaces infrastructure)", () => {
    expect(Object.keys(json.resource.databricks_job!)).toEqual(["TrainingJob_C32D198B"]);
    expect(Object.keys(json.resource.databricks_instance_pool!)).toEqual(["TrainPool_EBF83DDA"]);
    expect(Object.keys(json.resource.databricks_catalog!)).toEqual(["UnityCatalog_025DEE8A"]);
    expect(Object.keys(json.resource.databricks_volume!).sort()).toEqual([
      "UnityCatalog_Volume-artifacts_88DA63ED",
      "UnityCatalog_Volume-checkpoints_99EEE204",
      "UnityCatalog_Volume-scripts_FB2EA6AD",
    ]);
  });

  it("updates the job and the dev cluster only after the wheel is uploaded", () => {
    const wheel = Object.entries(json.resource.databricks_file!).find(([, file]) => String(file.path).endsWith(".whl"))![0];
    expect(job.depends_on).toEqual([`databricks_file.${wheel}`]);
    expect(onlyResource(json, "databricks_cluster").depends_on).toEqual([`databricks_file.${wheel}`]);
  });

  it("pins the providers to the versions the bindings wrap and keeps state locally, relative", () => {
    expect(json.terraform).toMatchObject({
      required_providers: { databricks: { version: "1.99.0" }, google: { version: "6.50.0" } },
      backend: { local: { path: "../../../terraform.dev.tfstate" } },
    });
  });

  it("outputs the job, pool, image and volume paths", () => {
    expect(Object.keys(json.output).sort()).toEqual(
      ["dev_cluster_id", "experiment_id", "image_url", "job_id", "job_url", "pool_id", "volume_paths", "wheel_path"].sort(),
    );
    expect(json.output.volume_paths!.value).toEqual({
      checkpoints: "/Volumes/booster_soccer_dev/rl_models/checkpoints",
      artifacts: "/Volumes/booster_soccer_dev/rl_models/artifacts",
      scripts: "/Volumes/booster_soccer_dev/rl_models/scripts",
    });
  });
});

describe("prod stack", () => {
  const { synthesized, json } = makeStack(configWith({}, prod));
  const job = onlyResource(json, "databricks_job");

  it("matches the reviewed snapshot", () => {
    expect(synthesized).toMatchSnapshot();
  });

  it("uses the manifest's catalog, runs as the service principal, unpaused, two runs at once", () => {
    expect(job.run_as).toEqual({ service_principal_name: "00000000-0000-0000-0000-000000000000" });
    expect(job.schedule.pause_status).toBe("UNPAUSED");
    expect(job.max_concurrent_runs).toBe(2);
    expect(onlyResource(json, "databricks_catalog").name).toBe(manifest.parameters.catalog!.default);
  });

  it("has no dev cluster", () => {
    expect(json.resource.databricks_cluster).toBeUndefined();
  });

  it("grants the job principal what the pipeline needs and the readers group read access", () => {
    const grants = Object.values(json.resource.databricks_grants!) as any[];
    const schema = grants.find((g) => g.schema);
    expect(schema.grant).toEqual([
      { principal: "00000000-0000-0000-0000-000000000000", privileges: ["USE_SCHEMA", "CREATE_MODEL"] },
      { principal: "booster-soccer-readers", privileges: ["USE_SCHEMA"] },
    ]);
    const volumeGrants = grants.filter((g) => g.volume);
    expect(volumeGrants).toHaveLength(3);
    for (const grant of volumeGrants) {
      expect(grant.grant[0]).toEqual({ principal: "00000000-0000-0000-0000-000000000000", privileges: ["READ_VOLUME", "WRITE_VOLUME"] });
    }
    expect(grants.filter((g) => g.model).map((g) => g.grant[0].privileges)).toEqual([["EXECUTE"], ["EXECUTE"], ["EXECUTE"]]);
    expect(grants.find((g) => g.catalog).grant[0].privileges).toEqual(["USE_CATALOG"]);
  });
});

describe("ml-runtime mode", () => {
  const { json } = makeStack(configWith({ runtimeMode: "ml-runtime" }, dev));
  const job = onlyResource(json, "databricks_job");

  it("uses the GPU ML runtime with the init script and no image", () => {
    const gpu = job.job_cluster.find((c: any) => c.job_cluster_key === CLUSTER_KEYS.gpu).new_cluster;
    expect(gpu.spark_version).toBe("16.4.x-gpu-ml-scala2.12");
    expect(gpu.docker_image).toBeUndefined();
    expect(gpu.init_scripts).toEqual([
      {
        volumes: {
          destination: expect.stringMatching(/^\/Volumes\/booster_soccer_dev\/rl_models\/scripts\/init\/[0-9a-f]{16}\/install_mjx\.sh$/),
        },
      },
    ]);
    expect(json.resource.google_artifact_registry_repository).toBeUndefined();
    expect(onlyResource(json, "databricks_instance_pool").preloaded_docker_image).toBeUndefined();
  });
});

describe("Terraform Cloud", () => {
  it("writes a cloud block with the environment's named workspace instead of local state", () => {
    const { synthesized, json } = makeStack(
      configWith({ terraformCloud: { organization: "booster", workspace: "booster-soccer-dev" } }, dev),
    );
    expect(json.terraform.cloud).toEqual({
      hostname: "app.terraform.io",
      organization: "booster",
      workspaces: { name: "booster-soccer-dev" },
    });
    expect(json.terraform.backend).toBeUndefined();
    expect(CloudBackend).toBeDefined();
    expect(synthesized).not.toContain("tfstate");
  });
});

describe("environments side by side", () => {
  it("share no name that lives in a shared namespace (metastore, workspace, project)", () => {
    const names = (config: ReturnType<typeof configWith>) => {
      const { json } = makeStack(config);
      return [
        onlyResource(json, "databricks_catalog").name,
        onlyResource(json, "databricks_instance_pool").instance_pool_name,
        onlyResource(json, "databricks_job").name,
        onlyResource(json, "databricks_mlflow_experiment").name,
        onlyResource(json, "databricks_secret_scope").name,
        onlyResource(json, "google_artifact_registry_repository").repository_id,
      ];
    };
    const devNames = names(configWith({}, dev));
    const prodNames = names(configWith({}, prod));
    for (const [index, name] of devNames.entries()) expect(prodNames[index]).not.toBe(name);
  });
});
