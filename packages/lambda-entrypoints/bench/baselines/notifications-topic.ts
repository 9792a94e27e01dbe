// Hand-written input topic subscriber: DynamoDB, SQS and the management API, created at init.
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});
const management = new ApiGatewayManagementApiClient({
  endpoint: process.env.HERALD_MANAGEMENT_ENDPOINT ?? '',
});

const handler = async (event: { Records: { Sns: { Message: string } }[] }) => {
  for (const record of event.Records) {
    const request = JSON.parse(record.Sns.Message) as {
      userId?: string;
      data: unknown;
      shard?: number;
    };
    if (request.shard !== undefined) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: process.env.HERALD_NOTIFICATIONS_QUEUE_URL,
          MessageBody: record.Sns.Message,
        }),
      );
      continue;
    }
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: process.env.HERALD_CONNECTIONS_TABLE,
        IndexName: 'byUser',
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': request.userId },
      }),
    );
    const data = JSON.stringify(request.data);
    for (const item of Items) {
      await management.send(
        new PostToConnectionCommand({ ConnectionId: item.connectionId, Data: data }),
      );
    }
  }
  return { batchItemFailures: [] };
};

export { handler };
