// Hand-written presence stream consumer: DynamoDB and SNS, created at init.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sns = new SNSClient({});

const handler = async (event: {
  Records: { eventName: string; dynamodb: { Keys: { pk: { S: string } } } }[];
}) => {
  for (const record of event.Records) {
    const userId = record.dynamodb.Keys.pk.S;
    const online = record.eventName === 'INSERT';
    await documents.send(
      new UpdateCommand({
        TableName: process.env.HERALD_PRESENCE_TABLE,
        Key: { userId },
        UpdateExpression: 'ADD version :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: process.env.HERALD_OUTPUT_TOPIC_ARN,
        Message: JSON.stringify({
          type: 'presence',
          message: {
            user_id: userId,
            status: online ? 'ONLINE' : 'OFFLINE',
            timestamp: Date.now(),
          },
        }),
      }),
    );
  }
};

export { handler };
