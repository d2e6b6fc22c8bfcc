/** A node of the cluster under test: n1, n2, ... (names files, env vars and labels). */
export type NodeId = string;
