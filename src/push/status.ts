/**
 * What the surfaces (REST API, CLI) see of push: a small service interface, so src/http never
 * reaches into the deliverers or the stores.
 */
export type { FailedObject, NodeStatus } from './deliverer.js';
import type { NodeStatus } from './deliverer.js';

export interface NodesService {
  list(): Promise<NodeStatus[]>;
  /** undefined when no node has that name */
  get(name: string): Promise<NodeStatus | undefined>;
  /** asks for a full resync of one node, or of all; false when no node has that name */
  resync(name?: string): boolean;
  /** reloads one Asterisk module on the node (static files: `reload=yes`, or on request) */
  reload(name: string, module: string): Promise<void>;
}
