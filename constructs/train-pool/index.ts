import { InstancePool } from "@cdktf/provider-databricks/lib/instance-pool";
import { Construct } from "constructs";
import type { GcpAvailability } from "../../config/types";

export interface TrainPoolProps {
  /** Full pool name, environment suffix included. */
  readonly poolName: string;
  /** @default "g2-standard-12" (one NVIDIA L4) */
  readonly nodeType?: string;
  /** @default 0 (no idle cost) */
  readonly minIdleInstances?: number;
  /** @default 2 (two experiments at once) */
  readonly maxCapacity?: number;
  /**
   * Required by the API; Databricks on GCP documents idle termination for pools as fixed, so the
   * value may be ignored there.
   * @default 60
   */
  readonly idleInstanceAutoterminationMinutes?: number;
  /** Preemptibility of the pool's nodes; clusters on the pool inherit it. @default "PREEMPTIBLE_GCP" */
  readonly availability?: GcpAvailability;
  readonly zone: string;
  /** The one runtime to preload (the API takes at most one). */
  readonly preloadedSparkVersion: string;
  /** Image to preload in container mode. @default - none */
  readonly preloadedDockerImage?: string;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The preemptible GPU instance pool the training tasks draw their nodes from. */
export class TrainPool extends Construct {
  readonly pool: InstancePool;

  constructor(scope: Construct, id: string, props: TrainPoolProps) {
    super(scope, id);
    this.pool = new InstancePool(this, "Resource", {
      instancePoolName: props.poolName,
      nodeTypeId: props.nodeType ?? "g2-standard-12",
      minIdleInstances: props.minIdleInstances ?? 0,
      maxCapacity: props.maxCapacity ?? 2,
      idleInstanceAutoterminationMinutes: props.idleInstanceAutoterminationMinutes ?? 60,
      gcpAttributes: { gcpAvailability: props.availability ?? "PREEMPTIBLE_GCP", zoneId: props.zone },
      preloadedSparkVersions: [props.preloadedSparkVersion],
      preloadedDockerImage: props.preloadedDockerImage ? [{ url: props.preloadedDockerImage }] : undefined,
      customTags: props.tags ? { ...props.tags } : undefined,
    });
  }

  get poolId(): string {
    return this.pool.id;
  }
}
