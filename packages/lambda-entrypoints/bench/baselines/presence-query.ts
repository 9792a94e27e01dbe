// Hand-written GET /presence: DynamoDB and SNS (the same outputs the presence function has), created at init.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sns = new SNSClient({});

const handler = async (event: { queryStringParameters?: Record<string, string> }) => {
  const { Item } = await documents.send(
    new GetCommand({
      TableName: process.env.HERALD_PRESENCE_TABLE,
      Key: { userId: event.queryStringParameters?.user ?? '' },
    }),
  );
  return {
    statusCode: 200,
    body: JSON.stringify({ online: Item !== undefined, region: await sns.config.region() }),
  };
};

export { handler };
