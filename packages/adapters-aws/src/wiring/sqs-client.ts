import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClientOptions } from '../sqs/sqs-client-options.js';

/**
 * An SQS client for Herald's queues (outputs, input, broadcast shards). With
 * an SQS endpoint set in the environment (an emulator), requests go to that
 * endpoint rather than to the host in each queue URL.
 */
const sqsClient = (): SQSClient => new SQSClient(sqsClientOptions());

export { sqsClient };
