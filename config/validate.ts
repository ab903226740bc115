import { manifest } from "./manifest";
import { GCP_AVAILABILITIES, type EnvironmentConfig } from "./types";

/** Thrown with every problem of one or more environments, one line each. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigValidationError";
  }
}

/** GCP machine families that carry NVIDIA GPUs (g2: L4, a2: A100, a3: H100). */
export const GPU_NODE_FAMILIES = ["g2-", "a2-", "a3-"] as const;

const UC_NAME = /^[a-z_][a-z0-9_]{0,254}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RUNTIME_KEY = /^\d+\.\d+\.x-(?:(?:cpu-ml|gpu-ml)-)?scala\d+\.\d+$/;
const IAM_MEMBER = /^(serviceAccount|user|group):[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Quartz field patterns: seconds, minutes, hours, day of month, month, day of week, year. */
const QUARTZ_FIELDS: readonly RegExp[] = [
  /^(\*|[0-5]?\d)([,/-][0-5]?\d)*$/,
  /^(\*|[0-5]?\d)([,/-][0-5]?\d)*$/,
  /^(\*|[01]?\d|2[0-3])([,/-]([01]?\d|2[0-3]))*$/,
  /^(\?|\*|L|LW|([1-9]|[12]\d|3[01])W?)([,/-]([1-9]|[12]\d|3[01]))*$/,
  /^(\*|[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)([,/-]([1-9]|1[0-2]|[A-Z]{3}))*$/i,
  /^(\?|\*|[1-7]L?|[1-7]#[1-5]|SUN|MON|TUE|WED|THU|FRI|SAT)([,/-]([1-7]|[A-Z]{3}))*$/i,
  /^(\*|\d{4})([,/-]\d{4})*$/,
];

/** Returns the problem with a Quartz expression, or undefined when it is well formed. */
export function quartzCronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length < 6 || fields.length > 7) {
    return `has ${fields.length} fields; Quartz needs 6 or 7 (seconds minutes hours day-of-month month day-of-week [year])`;
  }
  const names = ["seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year"];
  for (const [index, field] of fields.entries()) {
    if (!QUARTZ_FIELDS[index]!.test(field)) {
      return `field ${names[index]} "${field}" is not a valid Quartz value`;
    }
  }
  if ((fields[3] === "?") === (fields[5] === "?")) {
    return "exactly one of day-of-month and day-of-week must be '?'";
  }
  return undefined;
}

let knownTimezones: Set<string> | undefined;
function isKnownTimezone(zone: string): boolean {
  knownTimezones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC", "Etc/UTC"]);
  return knownTimezones.has(zone);
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/**
 * Checks one environment and returns every problem, each naming the environment, the field, the
 * value and what is allowed. An empty list means the configuration synthesizes.
 */
export function validateEnvironment(config: EnvironmentConfig): string[] {
  const problems: string[] = [];
  const fail = (field: string, value: unknown, allowed: string): void => {
    problems.push(`environment "${config.name}": ${field} is ${show(value)}, but ${allowed}`);
  };
  const atLeast = (field: string, value: number, minimum: number): void => {
    if (!Number.isInteger(value) || value < minimum) fail(field, value, `it must be an integer of at least ${minimum}`);
  };
  const nonNegative = (field: string, value: number): void => {
    if (!Number.isFinite(value) || value < 0) fail(field, value, "it must be a number of at least 0");
  };
  const gpuNodeType = (field: string, value: string): void => {
    if (!GPU_NODE_FAMILIES.some((family) => value.startsWith(family))) {
      fail(field, value, `GPU tasks need a GPU machine family (${GPU_NODE_FAMILIES.join(", ")}), e.g. g2-standard-12`);
    }
  };

  if (!/^[a-z][a-z0-9]{0,15}$/.test(config.name)) {
    fail("name", config.name, "it must be 1-16 lowercase letters and digits, starting with a letter");
  }
  if (config.runtimeMode !== "container" && config.runtimeMode !== "ml-runtime") {
    fail("runtimeMode", config.runtimeMode, 'it must be "container" or "ml-runtime"');
  }

  const { gcp, databricks } = config;
  if (!gcp.projectId) fail("gcp.projectId", gcp.projectId, "a GCP project id is required");
  else if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(gcp.projectId)) {
    fail("gcp.projectId", gcp.projectId, "it must be 6-30 lowercase letters, digits or hyphens, starting with a letter");
  }
  if (!/^[a-z]+-[a-z]+\d+$/.test(gcp.region)) fail("gcp.region", gcp.region, "it must be a GCP region such as us-central1");
  if (!gcp.zone.startsWith(`${gcp.region}-`)) fail("gcp.zone", gcp.zone, `it must be a zone of region ${gcp.region}, e.g. ${gcp.region}-a`);
  if (gcp.clusterServiceAccount !== undefined && !EMAIL.test(gcp.clusterServiceAccount)) {
    fail("gcp.clusterServiceAccount", gcp.clusterServiceAccount, "it must be a service account e-mail");
  }

  if (!databricks.workspaceHost) fail("databricks.workspaceHost", databricks.workspaceHost, "a workspace URL is required");
  else if (!/^https:\/\/[a-z0-9.-]+\.gcp\.databricks\.com\/?$/.test(databricks.workspaceHost)) {
    fail("databricks.workspaceHost", databricks.workspaceHost, "it must look like https://<id>.<n>.gcp.databricks.com");
  }
  for (const field of ["sparkVersion", "mlGpuSparkVersion", "mlCpuSparkVersion"] as const) {
    if (!RUNTIME_KEY.test(databricks[field])) {
      fail(`databricks.${field}`, databricks[field], "it must be a runtime key such as 16.4.x-scala2.12 or 16.4.x-gpu-ml-scala2.12");
    }
  }
  if (config.runtimeMode === "container" && databricks.sparkVersion.includes("-ml-")) {
    fail(
      "databricks.sparkVersion",
      databricks.sparkVersion,
      "container mode needs a standard runtime: Databricks Container Services does not support ML runtimes",
    );
  }
  if (!databricks.mlGpuSparkVersion.includes("-gpu-ml-")) {
    fail("databricks.mlGpuSparkVersion", databricks.mlGpuSparkVersion, "it must be a GPU ML runtime (…-gpu-ml-scala…)");
  }
  if (databricks.runAsServicePrincipal !== undefined && !UUID.test(databricks.runAsServicePrincipal)) {
    fail("databricks.runAsServicePrincipal", databricks.runAsServicePrincipal, "it must be a service principal application id (a UUID)");
  }

  const { catalog } = config;
  for (const [field, value] of [
    ["catalog.name", catalog.name],
    ["catalog.schema", catalog.schema],
  ] as const) {
    if (!UC_NAME.test(value))
      fail(field, value, "Unity Catalog names must be lowercase letters, digits and underscores, not starting with a digit");
  }
  for (const [key, volume] of Object.entries(manifest.volumes)) {
    if (!UC_NAME.test(volume))
      fail(`manifest volumes.${key}`, volume, "Unity Catalog names must be lowercase letters, digits and underscores");
  }
  if (catalog.storageRoot !== undefined && !/^gs:\/\/[a-z0-9][a-z0-9._-]{1,221}(\/.*)?$/.test(catalog.storageRoot)) {
    fail("catalog.storageRoot", catalog.storageRoot, "it must be a gs:// URL");
  }
  if (catalog.readersGroup !== undefined && catalog.readersGroup.trim() === "") {
    fail("catalog.readersGroup", catalog.readersGroup, "it must name a group or be left out");
  }

  const { pool } = config;
  atLeast("pool.maxCapacity", pool.maxCapacity, 1);
  atLeast("pool.minIdleInstances", pool.minIdleInstances, 0);
  if (pool.minIdleInstances > pool.maxCapacity) {
    fail("pool.minIdleInstances", pool.minIdleInstances, `it must not exceed pool.maxCapacity (${pool.maxCapacity})`);
  }
  atLeast("pool.idleInstanceAutoterminationMinutes", pool.idleInstanceAutoterminationMinutes, 0);
  if (!GCP_AVAILABILITIES.includes(pool.availability)) {
    fail("pool.availability", pool.availability, `it must be one of ${GCP_AVAILABILITIES.join(", ")}`);
  }
  gpuNodeType("pool.nodeType", pool.nodeType);

  const { image } = config;
  if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(image.repositoryId)) {
    fail("image.repositoryId", image.repositoryId, "it must be lowercase letters, digits and hyphens, starting with a letter, at most 63");
  }
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*$/.test(image.imageName))
    fail("image.imageName", image.imageName, "it must be a lowercase Docker image name");
  atLeast("image.keepVersions", image.keepVersions, 1);
  atLeast("image.deleteOlderThanDays", image.deleteOlderThanDays, 1);
  if (config.runtimeMode === "container" && image.pullerMember === undefined) {
    fail("image.pullerMember", image.pullerMember, "container mode needs the IAM member that pulls the image, e.g. serviceAccount:<email>");
  }
  if (image.pullerMember !== undefined && !IAM_MEMBER.test(image.pullerMember)) {
    fail("image.pullerMember", image.pullerMember, "it must be an IAM member such as serviceAccount:<email>");
  }

  const { job } = config;
  if (job.cpuNodeType.trim() === "") fail("job.cpuNodeType", job.cpuNodeType, "a node type such as n2-standard-4 is required");
  if (!GCP_AVAILABILITIES.includes(job.cpuAvailability)) {
    fail("job.cpuAvailability", job.cpuAvailability, `it must be one of ${GCP_AVAILABILITIES.join(", ")}`);
  }
  atLeast("job.maxConcurrentRuns", job.maxConcurrentRuns, 1);
  if (job.maxConcurrentRuns > pool.maxCapacity) {
    fail(
      "job.maxConcurrentRuns",
      job.maxConcurrentRuns,
      `it must not exceed pool.maxCapacity (${pool.maxCapacity}): each run holds one pool node`,
    );
  }
  atLeast("job.retryIntervalMinutes", job.retryIntervalMinutes, 0);
  atLeast("job.runDurationWarningSeconds", job.runDurationWarningSeconds, 1);
  for (const [list, emails] of [
    ["job.onFailureEmails", job.onFailureEmails],
    ["job.onSuccessEmails", job.onSuccessEmails],
  ] as const) {
    emails.forEach((email, index) => {
      if (!EMAIL.test(email)) fail(`${list}[${index}]`, email, "it must be an e-mail address");
    });
  }
  if (job.schedule !== undefined) {
    const cronProblem = quartzCronProblem(job.schedule.quartzCron);
    if (cronProblem) fail("job.schedule.quartzCron", job.schedule.quartzCron, `it ${cronProblem}`);
    if (!isKnownTimezone(job.schedule.timezone)) {
      fail("job.schedule.timezone", job.schedule.timezone, "it must be an IANA time zone id such as UTC or Europe/Berlin");
    }
  }
  const taskKeys = manifest.tasks.map((task) => task.key);
  for (const [key, retries] of Object.entries(job.maxRetriesOverrides)) {
    if (!taskKeys.includes(key)) fail(`job.maxRetriesOverrides.${key}`, retries, `the key must be a task: ${taskKeys.join(", ")}`);
    atLeast(`job.maxRetriesOverrides.${key}`, retries, 0);
  }
  for (const task of manifest.tasks) atLeast(`manifest tasks.${task.key}.max_retries`, task.max_retries, 0);
  for (const [parameter, value] of Object.entries(job.parameterOverrides)) {
    if (!(parameter in manifest.parameters)) {
      fail(`job.parameterOverrides.${parameter}`, value, `the key must be a job parameter: ${Object.keys(manifest.parameters).join(", ")}`);
    }
  }

  const { devCluster } = config;
  if (devCluster.enabled) {
    gpuNodeType("devCluster.nodeType", devCluster.nodeType);
    if (devCluster.userName === undefined || !EMAIL.test(devCluster.userName)) {
      fail("devCluster.userName", devCluster.userName, "the dedicated dev cluster needs its user's e-mail");
    }
    if (!Number.isInteger(devCluster.autoterminationMinutes) || devCluster.autoterminationMinutes < 10) {
      fail("devCluster.autoterminationMinutes", devCluster.autoterminationMinutes, "it must be an integer of at least 10");
    }
  }

  const { tracking } = config;
  if (!/^\/\S+$/.test(tracking.experimentPath))
    fail("tracking.experimentPath", tracking.experimentPath, "it must be an absolute workspace path such as /Shared/booster_soccer");
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(tracking.secretScope)) {
    fail("tracking.secretScope", tracking.secretScope, "it must be 1-128 letters, digits, dots, underscores or hyphens");
  }

  if (config.terraformCloud !== undefined) {
    const { organization, workspace } = config.terraformCloud;
    if (!/^[A-Za-z0-9_-]+$/.test(organization))
      fail("terraformCloud.organization", organization, "it must be a Terraform Cloud organization name");
    if (!/^[A-Za-z0-9_-]{1,90}$/.test(workspace))
      fail("terraformCloud.workspace", workspace, "it must be letters, digits, underscores or hyphens");
  }

  for (const [key, value] of Object.entries(config.tags)) {
    if (!/^[A-Za-z0-9_.-]{1,63}$/.test(key) || value.length > 63)
      fail(`tags.${key}`, value, "tag keys and values must be at most 63 characters (keys: letters, digits, _ . -)");
  }

  const { cost } = config;
  for (const field of [
    "gpuOnDemandPerHour",
    "gpuPreemptiblePerHour",
    "cpuOnDemandPerHour",
    "cpuPreemptiblePerHour",
    "gpuDbuPerHour",
    "cpuDbuPerHour",
    "jobsDbuPrice",
    "allPurposeDbuPrice",
  ] as const) {
    nonNegative(`cost.${field}`, cost[field]);
  }
  for (const key of taskKeys) {
    const hours = cost.taskHours[key];
    if (hours === undefined) fail(`cost.taskHours.${key}`, hours, "every task needs its expected hours");
    else nonNegative(`cost.taskHours.${key}`, hours);
  }
  for (const key of Object.keys(cost.taskHours)) {
    if (!taskKeys.includes(key)) fail(`cost.taskHours.${key}`, cost.taskHours[key], `the key must be a task: ${taskKeys.join(", ")}`);
  }
  return problems;
}
