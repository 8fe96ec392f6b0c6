/** Well-known annotation and label keys the gateway reads or writes. */

/** Why a revision was made; kubectl and the bot show it in history. */
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
/** On Deployments and their ReplicaSets: the revision number the deployment controller assigned. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Pod-template annotation `kubectl rollout restart` sets; changing it rolls every pod. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** Label the deployment controller adds to a ReplicaSet's template (never copied back). */
export const POD_TEMPLATE_HASH = 'pod-template-hash';
/** Label the StatefulSet controller puts on each pod: the ControllerRevision it runs. */
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';
