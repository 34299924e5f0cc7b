// What every cluster source is: something that publishes whole snapshots to a store until closed.
export interface ClusterSource {
  /** Starts fetching; resolves after the first attempt (successful or not). */
  start(): Promise<void>;
  close(): Promise<void>;
  /** One fetch now; true when a snapshot was published or confirmed. */
  refresh(): Promise<boolean>;
}
