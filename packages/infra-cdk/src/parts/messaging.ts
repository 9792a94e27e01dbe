import { Duration, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';

interface HeraldMessagingProps {
  /** FIFO input queue and topic, for ordered delivery per message group. @default false */
  readonly fifo?: boolean;
  /** Receives before a notification request goes to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * Herald's messaging: the input topic and queue that backends send requests
 * to (with a dead-letter queue), the output topic and queue that client
 * messages and presence events go to (with a dead-letter queue), and the
 * dead-letter queue of the connections stream. Every queue is encrypted and
 * refuses plain HTTP; topics use the AWS-managed SNS key.
 */
class HeraldMessaging {
  public readonly inputTopic: Topic;
  public readonly inputQueue: Queue;
  public readonly inputDeadLetterQueue: Queue;
  public readonly outputTopic: Topic;
  public readonly outputQueue: Queue;
  public readonly outputDeadLetterQueue: Queue;
  /** Where the presence handler's stream records go when it gives up on them. */
  public readonly presenceStreamDeadLetterQueue: Queue;
  /** Every dead-letter queue, with what a message in it means (for alarms). */
  public readonly deadLetterQueues: readonly {
    readonly queue: Queue;
    readonly description: string;
  }[];

  constructor(scope: Construct, props: HeraldMessagingProps = {}) {
    const fifo = props.fifo ?? DEFAULTS.fifo;
    const maxReceiveCount = props.maxReceiveCount ?? DEFAULTS.maxReceiveCount;
    const snsKey = Alias.fromAliasName(scope, 'SnsKey', 'alias/aws/sns');
    const queue = (queueId: string, options: { fifo?: boolean; deadLetterQueue?: Queue } = {}) =>
      new Queue(scope, queueId, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        ...(options.fifo ? { fifo: true, contentBasedDeduplication: false } : {}),
        ...(options.deadLetterQueue
          ? { deadLetterQueue: { queue: options.deadLetterQueue, maxReceiveCount } }
          : {}),
        // Twice the notifications function's timeout (see DEFAULTS.notifications).
        visibilityTimeout: Duration.seconds(2 * DEFAULTS.notifications.timeoutSeconds),
      });

    this.inputDeadLetterQueue = queue('InputDeadLetterQueue', { fifo });
    this.inputQueue = queue('InputQueue', { fifo, deadLetterQueue: this.inputDeadLetterQueue });
    this.inputTopic = new Topic(scope, 'InputTopic', {
      masterKey: snsKey,
      enforceSSL: true,
      ...(fifo ? { fifo: true } : {}),
    });
    this.inputTopic.addSubscription(new SqsSubscription(this.inputQueue));

    this.outputDeadLetterQueue = queue('OutputDeadLetterQueue');
    this.outputQueue = queue('OutputQueue', { deadLetterQueue: this.outputDeadLetterQueue });
    this.outputTopic = new Topic(scope, 'OutputTopic', { masterKey: snsKey, enforceSSL: true });

    this.presenceStreamDeadLetterQueue = queue('PresenceStreamDeadLetterQueue');
    Validations.of(this.presenceStreamDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "It is the connections stream's on-failure destination: a dead-letter queue itself.",
    });

    this.deadLetterQueues = [
      {
        queue: this.inputDeadLetterQueue,
        description: 'Notification requests reached the dead-letter queue',
      },
      {
        queue: this.outputDeadLetterQueue,
        description: 'Output messages reached the dead-letter queue',
      },
      {
        queue: this.presenceStreamDeadLetterQueue,
        description: 'Presence stream records were given up',
      },
    ];
  }

  /** Lets a handler enqueue requests on the input queue (broadcast shards, continuations). */
  grantSendInput(grantee: IGrantable): void {
    this.inputQueue.grantSendMessages(grantee);
  }

  /** Lets a handler publish to the output topic and send to the output queue. */
  grantSendOutput(grantee: IGrantable): void {
    this.outputTopic.grantPublish(grantee);
    this.outputQueue.grantSendMessages(grantee);
  }
}

export type { HeraldMessagingProps };
export { HeraldMessaging };
