// Hand-written message routes: DynamoDB, SNS, SQS and the management API, created at init.
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sns = new SNSClient({});
const sqs = new SQSClient({});
const management = new ApiGatewayManagementApiClient({
  endpoint: process.env.HERALD_MANAGEMENT_ENDPOINT ?? '',
});

const handler = async (event: { body: string; requestContext: { connectionId: string } }) => {
  const { action, message } = JSON.parse(event.body) as { action: string; message: unknown };
  const ConnectionId = event.requestContext.connectionId;
  if (action === 'send') {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: process.env.HERALD_OUTPUT_QUEUE_URL,
        MessageBody: JSON.stringify(message),
      }),
    );
  } else if (action === 'publish') {
    await sns.send(
      new PublishCommand({
        TopicArn: process.env.HERALD_OUTPUT_TOPIC_ARN,
        Message: JSON.stringify(message),
      }),
    );
  } else {
    await documents.send(
      new UpdateCommand({
        TableName: process.env.HERALD_CONNECTIONS_TABLE,
        Key: { pk: `conn#${ConnectionId}`, sk: 'conn' },
        UpdateExpression: 'SET lastSeenAt = :now',
        ExpressionAttributeValues: { ':now': Date.now() },
      }),
    );
    await management.send(
      new PostToConnectionCommand({
        ConnectionId,
        Data: JSON.stringify({ type: 'pong', connectionId: ConnectionId }),
      }),
    );
  }
  return { statusCode: 200 };
};

export { handler };
