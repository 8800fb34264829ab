import {
  amountFirstLines,
  arrowPush,
  balanceBeforeNameLines,
  type Layout,
  nameAfterAmountLines,
  nameBeforeLabelLines,
  sentencePush,
  singleLine,
} from './layouts';

export type Bank = {
  code: string;
  /** SMS numbers (digits only) and app names or package ids the texts arrive from. */
  senders: readonly string[];
  /** Names the bank prints in its texts, to tell whose text an ignored one is. */
  labels: readonly string[];
  layouts: readonly Layout[];
};

// Adding a bank is one entry here: its senders, labels, and the layout families its texts use.
export const BANKS: readonly Bank[] = [
  {
    code: 'KB',
    senders: ['15889999', '16449999', 'kb스타뱅킹', 'com.kbstar.kbbank'],
    labels: ['KB국민', '[KB]', '국민은행'],
    layouts: [nameBeforeLabelLines(String.raw`(?:KB국민|\[KB\])`), singleLine(String.raw`\[KB국민\]`), arrowPush()],
  },
  {
    code: 'SHINHAN',
    senders: ['15778000', '15448000', '신한sol', 'com.shinhan.sbanking'],
    labels: ['신한'],
    layouts: [balanceBeforeNameLines('신한'), singleLine(String.raw`\[신한(?:SOL)?\]`), sentencePush()],
  },
  {
    code: 'WOORI',
    senders: ['15885000', '15995000', '우리won뱅킹', 'com.wooribank.smart.npib'],
    labels: ['우리은행', '[우리]'],
    layouts: [nameAfterAmountLines(String.raw`(?:우리|\[우리은행\])`), singleLine(String.raw`\[우리(?:은행)?\]`), sentencePush()],
  },
  {
    code: 'HANA',
    senders: ['15991111', '15881111', '하나원큐', 'com.kebhana.hanapush'],
    labels: ['하나은행', '[하나]', '하나,'],
    layouts: [nameAfterAmountLines(String.raw`(?:하나,?|\[하나\])`), singleLine(String.raw`\[하나(?:은행)?\]`), sentencePush()],
  },
  {
    code: 'NH',
    senders: ['15882100', '15443900', 'nh스마트뱅킹', 'nh.smart.banking'],
    labels: ['농협', 'NH'],
    layouts: [amountFirstLines(String.raw`(?:농협|\[NH농협\])`), singleLine(String.raw`\[NH(?:농협)?\]`), sentencePush()],
  },
  {
    code: 'IBK',
    senders: ['15662566', '15882588', 'i-one bank', 'com.ibk.android.ionebank'],
    labels: ['IBK', '기업은행'],
    layouts: [nameAfterAmountLines(String.raw`\[IBK(?:기업)?\]`), singleLine(String.raw`\[IBK(?:기업)?\]`), sentencePush()],
  },
  {
    code: 'KAKAOBANK',
    senders: ['15993333', '카카오뱅크', 'com.kakaobank.channel'],
    labels: ['카카오뱅크'],
    layouts: [singleLine(String.raw`\[카카오뱅크\]`), sentencePush(), arrowPush()],
  },
  {
    code: 'TOSSBANK',
    senders: ['16617654', '토스뱅크', '토스', 'viva.republica.toss'],
    labels: ['토스뱅크'],
    layouts: [singleLine(String.raw`\[토스뱅크\]`), sentencePush(), arrowPush()],
  },
  {
    code: 'KBANK',
    senders: ['15221000', '케이뱅크', 'com.kbankwith.smartbank'],
    labels: ['케이뱅크'],
    layouts: [nameAfterAmountLines(String.raw`\[케이뱅크\]`), singleLine(String.raw`\[케이뱅크\]`), sentencePush()],
  },
  {
    code: 'EPOST',
    senders: ['15881900', '우체국뱅킹', 'com.epost.psf.sdsi'],
    labels: ['우체국'],
    layouts: [nameAfterAmountLines(String.raw`\[우체국\]`), singleLine(String.raw`\[우체국(?:예금)?\]`), sentencePush()],
  },
  {
    code: 'CU',
    senders: ['15666000', '신협온뱅크', 'com.cu.sb'],
    labels: ['신협'],
    layouts: [singleLine(String.raw`\[신협\]`), nameAfterAmountLines(String.raw`\[신협\]`), sentencePush()],
  },
  {
    code: 'SC',
    senders: ['15881599', 'sc제일은행', 'com.scbank.ma30'],
    labels: ['SC제일'],
    layouts: [nameAfterAmountLines(String.raw`\[SC제일\]`), singleLine(String.raw`\[SC제일(?:은행)?\]`), sentencePush()],
  },
  {
    code: 'MG',
    senders: ['15999000', 'mg더뱅킹', 'com.kfcc.mgbank'],
    labels: ['새마을금고', 'MG'],
    layouts: [singleLine(String.raw`\[(?:MG)?새마을금고\]`), nameAfterAmountLines(String.raw`\[(?:MG)?새마을금고\]`), sentencePush()],
  },
];
