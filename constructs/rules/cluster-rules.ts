import { TerraformResource, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { SINGLE_NODE_SPARK_CONF, SINGLE_NODE_TAGS, UC_VOLUMES_SPARK_CONF } from "../cluster-spec";

type Attributes = Record<string, unknown>;

function asObject(value: unknown): Attributes | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Attributes) : undefined;
}

function asList(value: unknown): Attributes[] {
  if (Array.isArray(value)) return value.map(asObject).filter((item): item is Attributes => item !== undefined);
  const single = asObject(value);
  return single ? [single] : [];
}

/** The resource's attributes as Terraform sees them (snake_case, overrides applied). */
function terraformAttributes(resource: TerraformResource): Attributes {
  const synthesized = resource.toTerraform() as { resource?: Record<string, Record<string, Attributes>> };
  const byName = synthesized.resource?.[resource.terraformResourceType] ?? {};
  return Object.values(byName)[0] ?? {};
}

/** Every cluster specification a resource declares, with where it sits. */
function clusterSpecs(resource: TerraformResource): { where: string; spec: Attributes }[] {
  const attributes = terraformAttributes(resource);
  switch (resource.terraformResourceType) {
    case "databricks_cluster":
      return [{ where: "cluster", spec: attributes }];
    case "databricks_job": {
      const specs: { where: string; spec: Attributes }[] = [];
      for (const jobCluster of asList(attributes.job_cluster)) {
        for (const spec of asList(jobCluster.new_cluster)) specs.push({ where: `job_cluster ${String(jobCluster.job_cluster_key)}`, spec });
      }
      for (const task of asList(attributes.task)) {
        for (const spec of asList(task.new_cluster)) specs.push({ where: `task ${String(task.task_key)} new_cluster`, spec });
      }
      for (const spec of asList(attributes.new_cluster)) specs.push({ where: "new_cluster", spec });
      return specs;
    }
    default:
      return [];
  }
}

const isMlRuntime = (sparkVersion: unknown): boolean => typeof sparkVersion === "string" && /-ml-/.test(sparkVersion);

/** The platform's rules for one cluster specification; returns the broken ones. */
export function clusterRuleViolations(spec: Attributes): string[] {
  const problems: string[] = [];
  const hasImage = asList(spec.docker_image).length > 0;
  const sparkConf = asObject(spec.spark_conf) ?? {};
  const customTags = asObject(spec.custom_tags) ?? {};

  if (hasImage && (isMlRuntime(spec.spark_version) || spec.use_ml_runtime === true)) {
    problems.push(
      `spark_version is ${JSON.stringify(spec.spark_version)} with a docker_image, but Databricks Container Services does not support ML runtimes: use a standard runtime with the image, or the ML runtime without one`,
    );
  }
  if (hasImage && spec.data_security_mode !== "SINGLE_USER") {
    problems.push(
      `data_security_mode is ${JSON.stringify(spec.data_security_mode)} with a docker_image, but a custom image reaches Unity Catalog only in dedicated mode: use "SINGLE_USER"`,
    );
  }
  if (hasImage) {
    for (const [key, value] of Object.entries(UC_VOLUMES_SPARK_CONF)) {
      if (sparkConf[key] !== value)
        problems.push(
          `spark_conf.${key} is ${JSON.stringify(sparkConf[key])} with a docker_image, but it must be "${value}" to reach volumes`,
        );
    }
  }

  const singleNode = spec.num_workers === 0 && spec.autoscale === undefined;
  const declaresSingleNode = spec.is_single_node === true;
  if (singleNode && !declaresSingleNode) {
    for (const [key, value] of Object.entries(SINGLE_NODE_SPARK_CONF)) {
      if (sparkConf[key] !== value)
        problems.push(
          `spark_conf.${key} is ${JSON.stringify(sparkConf[key])} on a single-node cluster (num_workers 0), but it must be "${value}"`,
        );
    }
    for (const [key, value] of Object.entries(SINGLE_NODE_TAGS)) {
      if (customTags[key] !== value)
        problems.push(
          `custom_tags.${key} is ${JSON.stringify(customTags[key])} on a single-node cluster (num_workers 0), but it must be "${value}"`,
        );
    }
  }

  if (spec.instance_pool_id !== undefined) {
    for (const gcp of asList(spec.gcp_attributes)) {
      const own = Object.keys(gcp).filter((key) => key !== "google_service_account" && gcp[key] !== undefined);
      if (own.length > 0) {
        problems.push(
          `gcp_attributes sets ${own.join(", ")} on a pool cluster, but preemptibility and zone come from the pool: only google_service_account is allowed`,
        );
      }
    }
    if (spec.node_type_id !== undefined) problems.push("node_type_id is set on a pool cluster, but the node type comes from the pool");
  }
  return problems;
}

/**
 * Checks every Databricks cluster specification in a stack (clusters, job clusters, task clusters),
 * including ones added later, against the platform rules, and fails synth naming each break.
 */
export class ClusterRulesAspect implements IAspect {
  constructor(private readonly environment: string) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const problems = clusterSpecs(node).flatMap(({ where, spec }) =>
      clusterRuleViolations(spec).map((problem) => `environment "${this.environment}": ${node.node.path} ${where}: ${problem}`),
    );
    if (problems.length > 0) throw new Error(`cluster rules broken:\n  ${problems.join("\n  ")}`);
  }
}
