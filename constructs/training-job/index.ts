import { Job, type JobJobCluster, type JobTask } from "@cdktf/provider-databricks/lib/job";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { GcpAvailability, RuntimeMode, ScheduleSettings } from "../../config/types";
import type { ManifestTask } from "../../config/manifest";
import { runtimeSoftware, SINGLE_NODE_SPARK_CONF, SINGLE_NODE_TAGS } from "../cluster-spec";

/** Job cluster keys; tasks pick one by their manifest `compute`. */
export const CLUSTER_KEYS = { cpu: "cpu_single_node", gpu: "gpu_single_node" } as const;

export interface TrainingJobProps {
  /** Full job name, environment suffix included. */
  readonly jobName: string;
  /** The tasks in manifest form; each runs `entry_point` from the wheel. */
  readonly tasks: readonly ManifestTask[];
  /** Distribution name of the wheel (`python_wheel_task.package_name`). */
  readonly packageName: string;
  /** `/Volumes/...` path of the wheel, installed as a task library. */
  readonly wheelVolumePath: string;
  /** Job parameters and their defaults; tasks receive the ones they list. */
  readonly parameters: Readonly<Record<string, string>>;
  /** @default "container" */
  readonly runtimeMode?: RuntimeMode;
  readonly standardSparkVersion: string;
  readonly mlGpuSparkVersion: string;
  readonly mlCpuSparkVersion: string;
  /** Required in container mode. */
  readonly dockerImageUrl?: string;
  /** Required in ml-runtime mode. */
  readonly initScriptVolumePath?: string;
  /** Pool the GPU cluster draws its (preemptible) nodes from. */
  readonly gpuPoolId: string;
  /** @default "n2-standard-4" */
  readonly cpuNodeType?: string;
  /** @default "ON_DEMAND_GCP" */
  readonly cpuAvailability?: GcpAvailability;
  readonly zone: string;
  /** Service account the clusters run as. @default - the workspace default */
  readonly googleServiceAccount?: string;
  /** Environment variables of the GPU cluster (XLA, MuJoCo). @default {} */
  readonly gpuEnvironment?: Readonly<Record<string, string>>;
  /** Environment variables holding `{{secrets/<scope>/<key>}}` references. @default {} */
  readonly secretEnvironment?: Readonly<Record<string, string>>;
  /** Wait before retrying a failed task. @default 5 */
  readonly retryIntervalMinutes?: number;
  /** @default 1 */
  readonly maxConcurrentRuns?: number;
  /** Health rule threshold on run duration. @default 36000 */
  readonly runDurationWarningSeconds?: number;
  /** @default [] */
  readonly onFailureEmails?: readonly string[];
  /** @default [] */
  readonly onSuccessEmails?: readonly string[];
  /** @default - manual runs only */
  readonly schedule?: ScheduleSettings;
  /** Application id of the service principal to run as. @default - the job's creator */
  readonly runAsServicePrincipal?: string;
  /** Single user of the dedicated clusters. @default - the run-as identity, filled in by Databricks */
  readonly singleUserName?: string;
  /** Cost-attribution tags on the job and its clusters. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** What must exist before the job changes (the uploaded wheel). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** The multi-task training job: every task a `python_wheel_task` on one of two single-node clusters. */
export class TrainingJob extends Construct {
  readonly job: Job;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    const mode = props.runtimeMode ?? "container";
    const tags = props.tags ?? {};
    const secrets = props.secretEnvironment ?? {};
    const dedicated = { dataSecurityMode: "SINGLE_USER", singleUserName: props.singleUserName };

    const gpuSoftware = runtimeSoftware({
      mode,
      standardSparkVersion: props.standardSparkVersion,
      mlSparkVersion: props.mlGpuSparkVersion,
      dockerImageUrl: props.dockerImageUrl,
      initScriptVolumePath: props.initScriptVolumePath,
    });
    // The CPU tasks import the same package (mujoco, torch, sai), so they get the same software.
    const cpuSoftware = runtimeSoftware({
      mode,
      standardSparkVersion: props.standardSparkVersion,
      mlSparkVersion: props.mlCpuSparkVersion,
      dockerImageUrl: props.dockerImageUrl,
      initScriptVolumePath: props.initScriptVolumePath,
    });

    const clusters: JobJobCluster[] = [
      {
        jobClusterKey: CLUSTER_KEYS.cpu,
        newCluster: {
          ...cpuSoftware,
          ...dedicated,
          nodeTypeId: props.cpuNodeType ?? "n2-standard-4",
          numWorkers: 0,
          sparkConf: { ...cpuSoftware.sparkConf, ...SINGLE_NODE_SPARK_CONF },
          customTags: { ...tags, ...SINGLE_NODE_TAGS },
          sparkEnvVars: { ...secrets },
          gcpAttributes: {
            availability: props.cpuAvailability ?? "ON_DEMAND_GCP",
            zoneId: props.zone,
            googleServiceAccount: props.googleServiceAccount,
          },
        },
      },
      {
        jobClusterKey: CLUSTER_KEYS.gpu,
        newCluster: {
          ...gpuSoftware,
          ...dedicated,
          // Node type and preemptibility come from the pool; a pool cluster may only keep its
          // service account among the GCP attributes.
          instancePoolId: props.gpuPoolId,
          driverInstancePoolId: props.gpuPoolId,
          numWorkers: 0,
          sparkConf: { ...gpuSoftware.sparkConf, ...SINGLE_NODE_SPARK_CONF },
          customTags: { ...tags, ...SINGLE_NODE_TAGS },
          sparkEnvVars: { ...(props.gpuEnvironment ?? {}), ...secrets },
          gcpAttributes: props.googleServiceAccount ? { googleServiceAccount: props.googleServiceAccount } : undefined,
        },
      },
    ];

    const retryIntervalMillis = (props.retryIntervalMinutes ?? 5) * 60_000;
    const tasks: JobTask[] = props.tasks.map((task) => {
      const missing = task.parameters.filter((name) => !(name in props.parameters));
      if (missing.length > 0) {
        throw new Error(`task ${task.key} takes parameters ${missing.join(", ")} that the job does not define`);
      }
      return {
        taskKey: task.key,
        dependsOn: task.depends_on.length > 0 ? task.depends_on.map((key) => ({ taskKey: key })) : undefined,
        jobClusterKey: CLUSTER_KEYS[task.compute],
        pythonWheelTask: {
          packageName: props.packageName,
          entryPoint: task.entry_point,
          namedParameters: Object.fromEntries(task.parameters.map((name) => [name, `{{job.parameters.${name}}}`])),
        },
        // A shared job cluster cannot carry libraries; each task installs the wheel itself.
        library: [{ whl: props.wheelVolumePath }],
        timeoutSeconds: task.timeout_seconds,
        maxRetries: task.max_retries,
        retryOnTimeout: task.retry_on_timeout,
        minRetryIntervalMillis: task.max_retries > 0 ? retryIntervalMillis : undefined,
      };
    });

    const onFailure = [...(props.onFailureEmails ?? [])];
    const onSuccess = [...(props.onSuccessEmails ?? [])];
    this.job = new Job(this, "Resource", {
      name: props.jobName,
      parameter: Object.entries(props.parameters).map(([name, value]) => ({ name, default: value })),
      jobCluster: clusters,
      task: tasks,
      maxConcurrentRuns: props.maxConcurrentRuns ?? 1,
      // Runs beyond max_concurrent_runs wait instead of being skipped.
      queue: { enabled: true },
      emailNotifications:
        onFailure.length + onSuccess.length > 0
          ? {
              onFailure: onFailure.length > 0 ? onFailure : undefined,
              onSuccess: onSuccess.length > 0 ? onSuccess : undefined,
              onDurationWarningThresholdExceeded: onFailure.length > 0 ? onFailure : undefined,
            }
          : undefined,
      health: {
        rules: [{ metric: "RUN_DURATION_SECONDS", op: "GREATER_THAN", value: props.runDurationWarningSeconds ?? 36_000 }],
      },
      schedule: props.schedule
        ? {
            quartzCronExpression: props.schedule.quartzCron,
            timezoneId: props.schedule.timezone,
            pauseStatus: props.schedule.paused ? "PAUSED" : "UNPAUSED",
          }
        : undefined,
      runAs: props.runAsServicePrincipal ? { servicePrincipalName: props.runAsServicePrincipal } : undefined,
      tags: { ...tags },
      dependsOn: props.dependsOn,
    });
  }
}
