import { Testing } from "cdktf";
import { Cluster } from "@cdktf/provider-databricks/lib/cluster";
import { Job } from "@cdktf/provider-databricks/lib/job";
import { ConfigValidationError, loadEnvironments, validateEnvironment } from "../config";
import { dev } from "../config/dev";
import { prod } from "../config/prod";
import { UnityCatalog } from "../constructs/unity-catalog";
import { bareStack, configWith, makeStack } from "./helpers";

/** Synthesizes the dev stack with a patch and returns what synth throws. */
const synthDev = (patch: Parameters<typeof configWith>[0]) => () => makeStack(configWith(patch, dev));

describe("configuration validation", () => {
  it("accepts the shipped environments", () => {
    expect(loadEnvironments().map((config) => config.name)).toEqual(["dev", "prod"]);
  });

  it("names the environment, the field, the value and what is allowed", () => {
    expect(validateEnvironment(configWith({ pool: { maxCapacity: 0 } }))).toContain(
      'environment "dev": pool.maxCapacity is 0, but it must be an integer of at least 1',
    );
  });

  it("reports every problem at once", () => {
    const problems = validateEnvironment(
      configWith({ pool: { maxCapacity: 0 }, gcp: { projectId: "" }, job: { onFailureEmails: ["nobody"] } }),
    );
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  it("fails when pool capacity is below 1", () => {
    expect(synthDev({ pool: { maxCapacity: 0 } })).toThrow(
      /environment "dev": pool\.maxCapacity is 0, but it must be an integer of at least 1/,
    );
  });

  it("fails when min idle instances exceed max capacity", () => {
    expect(synthDev({ pool: { minIdleInstances: 3, maxCapacity: 2 } })).toThrow(
      /pool\.minIdleInstances is 3, but it must not exceed pool\.maxCapacity \(2\)/,
    );
  });

  it("fails when the GPU node type is of an unknown family", () => {
    expect(synthDev({ pool: { nodeType: "n2-standard-8" } })).toThrow(
      /pool\.nodeType is "n2-standard-8", but GPU tasks need a GPU machine family \(g2-, a2-, a3-\)/,
    );
  });

  it("fails when an ML runtime is configured with the container image", () => {
    expect(synthDev({ databricks: { sparkVersion: "16.4.x-gpu-ml-scala2.12" } })).toThrow(
      /databricks\.sparkVersion is "16\.4\.x-gpu-ml-scala2\.12", but container mode needs a standard runtime: Databricks Container Services does not support ML runtimes/,
    );
  });

  it("fails when the cron expression is malformed", () => {
    expect(synthDev({ job: { ...configWith().job, schedule: { quartzCron: "0 2 * * *", timezone: "UTC", paused: true } } })).toThrow(
      /job\.schedule\.quartzCron is "0 2 \* \* \*", but it has 5 fields; Quartz needs 6 or 7/,
    );
    expect(synthDev({ job: { ...configWith().job, schedule: { quartzCron: "0 0 2 * * *", timezone: "UTC", paused: true } } })).toThrow(
      /exactly one of day-of-month and day-of-week must be '\?'/,
    );
    expect(synthDev({ job: { ...configWith().job, schedule: { quartzCron: "0 0 25 * * ?", timezone: "UTC", paused: true } } })).toThrow(
      /field hours "25"/,
    );
  });

  it("fails when the time zone is unknown", () => {
    expect(
      synthDev({ job: { ...configWith().job, schedule: { quartzCron: "0 0 2 * * ?", timezone: "Mars/Olympus", paused: true } } }),
    ).toThrow(/job\.schedule\.timezone is "Mars\/Olympus", but it must be an IANA time zone id/);
  });

  it("fails when the GCP project is missing", () => {
    expect(synthDev({ gcp: { projectId: "" } })).toThrow(/gcp\.projectId is "", but a GCP project id is required/);
  });

  it("fails when the workspace host is missing or not a GCP workspace URL", () => {
    expect(synthDev({ databricks: { workspaceHost: "" } })).toThrow(/databricks\.workspaceHost is "", but a workspace URL is required/);
    expect(synthDev({ databricks: { workspaceHost: "http://example.com" } })).toThrow(
      /it must look like https:\/\/<id>\.<n>\.gcp\.databricks\.com/,
    );
  });

  it("fails when the catalog or schema name is invalid", () => {
    expect(synthDev({ catalog: { name: "Booster-Soccer" } })).toThrow(
      /catalog\.name is "Booster-Soccer", but Unity Catalog names must be lowercase/,
    );
    expect(synthDev({ catalog: { schema: "9models" } })).toThrow(/catalog\.schema is "9models"/);
  });

  it("fails when a volume name is invalid", () => {
    const { stack } = bareStack();
    expect(
      () => new UnityCatalog(stack, "Catalog", { catalogName: "c", schemaName: "s", volumeNames: ["check-points"], modelNames: [] }),
    ).toThrow(/test\/Catalog: volumeNames has "check-points", but Unity Catalog names must be lowercase letters, digits and underscores/);
  });

  it("fails when a notification address is not an e-mail", () => {
    expect(synthDev({ job: { ...configWith().job, onFailureEmails: ["ops-team"] } })).toThrow(
      /job\.onFailureEmails\[0\] is "ops-team", but it must be an e-mail address/,
    );
  });

  it("fails when retries are negative", () => {
    expect(synthDev({ job: { ...configWith().job, maxRetriesOverrides: { pretrain: -1 } } })).toThrow(
      /job\.maxRetriesOverrides\.pretrain is -1, but it must be an integer of at least 0/,
    );
  });

  it("fails when the availability is unknown", () => {
    expect(synthDev({ pool: { availability: "SPOT" } })).toThrow(
      /pool\.availability is "SPOT", but it must be one of PREEMPTIBLE_GCP, PREEMPTIBLE_WITH_FALLBACK_GCP, ON_DEMAND_GCP/,
    );
  });

  it("fails when more concurrent runs are allowed than the pool has nodes", () => {
    expect(synthDev({ job: { ...configWith().job, maxConcurrentRuns: 3 } })).toThrow(
      /job\.maxConcurrentRuns is 3, but it must not exceed pool\.maxCapacity \(2\)/,
    );
  });

  it("fails when container mode has no image puller", () => {
    expect(synthDev({ image: { pullerMember: undefined } })).toThrow(
      /image\.pullerMember is nothing, but container mode needs the IAM member/,
    );
  });

  it("fails when a job parameter override is not a manifest parameter", () => {
    expect(synthDev({ job: { ...configWith().job, parameterOverrides: { steps: "5" } } })).toThrow(
      /job\.parameterOverrides\.steps is "5", but the key must be a job parameter/,
    );
  });

  it("fails when the dev cluster has no user", () => {
    expect(synthDev({ devCluster: { enabled: true, userName: undefined } })).toThrow(
      /devCluster\.userName is nothing, but the dedicated dev cluster needs its user's e-mail/,
    );
  });

  it("fails when a runtime key is malformed", () => {
    expect(synthDev({ databricks: { mlGpuSparkVersion: "16.4-gpu-ml-scala2.12" } })).toThrow(
      /databricks\.mlGpuSparkVersion is "16\.4-gpu-ml-scala2\.12", but it must be a runtime key such as/,
    );
  });

  it("fails when the catalog storage root is not a gs:// URL", () => {
    expect(synthDev({ catalog: { storageRoot: "s3://bucket" } })).toThrow(
      /catalog\.storageRoot is "s3:\/\/bucket", but it must be a gs:\/\/ URL/,
    );
  });

  it("fails when two environments share a name", () => {
    expect(() => loadEnvironments([dev, { ...prod, name: "dev" }])).toThrow(ConfigValidationError);
  });
});

describe("cluster rules aspect", () => {
  /** The dev stack plus one cluster added by hand, as a future construct might. */
  function synthWithExtraCluster(config: ConstructorParameters<typeof Cluster>[2]): () => string {
    return () => {
      const { stack } = makeStack(configWith({}, dev));
      new Cluster(stack, "Extra", config);
      return Testing.synth(stack);
    };
  }
  const singleNode = {
    numWorkers: 0,
    sparkConf: { "spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*]" },
    customTags: { ResourceClass: "SingleNode" },
  };

  it("accepts a well-formed single-node cluster", () => {
    expect(synthWithExtraCluster({ sparkVersion: "16.4.x-gpu-ml-scala2.12", nodeTypeId: "g2-standard-12", ...singleNode })).not.toThrow();
  });

  it("fails when a cluster combines an ML runtime with a container image", () => {
    expect(
      synthWithExtraCluster({
        sparkVersion: "16.4.x-gpu-ml-scala2.12",
        nodeTypeId: "g2-standard-12",
        dockerImage: { url: "example/image:1" },
        dataSecurityMode: "SINGLE_USER",
        ...singleNode,
        sparkConf: { ...singleNode.sparkConf, "spark.databricks.unityCatalog.volumes.enabled": "true" },
      }),
    ).toThrow(
      /environment "dev": dev\/Extra cluster: spark_version is "16\.4\.x-gpu-ml-scala2\.12" with a docker_image, but Databricks Container Services does not support ML runtimes/,
    );
  });

  it("fails when a single-node cluster lacks the single-node configuration", () => {
    expect(synthWithExtraCluster({ sparkVersion: "16.4.x-scala2.12", nodeTypeId: "n2-standard-4", numWorkers: 0 })).toThrow(
      /spark_conf\.spark\.databricks\.cluster\.profile is undefined on a single-node cluster \(num_workers 0\), but it must be "singleNode"/,
    );
  });

  it("fails when a pool cluster carries its own GCP availability", () => {
    expect(
      synthWithExtraCluster({
        sparkVersion: "16.4.x-scala2.12",
        instancePoolId: "pool-1",
        gcpAttributes: { availability: "ON_DEMAND_GCP" },
        ...singleNode,
      }),
    ).toThrow(/gcp_attributes sets availability on a pool cluster, but preemptibility and zone come from the pool/);
  });

  it("checks job clusters too", () => {
    expect(() => {
      const { stack } = makeStack(configWith({}, dev));
      new Job(stack, "OtherJob", {
        name: "other",
        jobCluster: [
          { jobClusterKey: "main", newCluster: { sparkVersion: "16.4.x-scala2.12", nodeTypeId: "n2-standard-4", numWorkers: 0 } },
        ],
      });
      return Testing.synth(stack);
    }).toThrow(/dev\/OtherJob job_cluster main: spark_conf\.spark\.databricks\.cluster\.profile/);
  });
});
