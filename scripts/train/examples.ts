/**
 * Example inputs shipped with the text models. All written for this project (none is a row
 * of, or copied from, a training data set); the labels are what WE intend, the models may
 * disagree. The URLs are made up for illustration: the "malicious" ones imitate common
 * phishing patterns (brand look-alikes, deceptive sub-domains) and are not known sites.
 */
import type { TextTaskSpec } from './zoo.ts'

export interface WrittenExample {
  text: string
  label: number
}

export const WRITTEN_EXAMPLES: Record<TextTaskSpec['task'], WrittenExample[]> = {
  // 0 = negative, 1 = positive
  sentiment: [
    { text: 'a warm , funny and beautifully acted film that stays with you .', label: 1 },
    { text: 'dull , predictable and far too long .', label: 0 },
    { text: 'a clever , heartfelt story with a terrific cast .', label: 1 },
    { text: 'the plot makes no sense and the jokes fall flat .', label: 0 },
    { text: 'one of the most moving films of the year .', label: 1 },
    { text: 'i was bored within ten minutes .', label: 0 },
    { text: 'an entertaining ride from start to finish .', label: 1 },
    { text: 'a mess of a movie that wastes a talented cast .', label: 0 },
    { text: "the director's vision is bold , original and often breathtaking .", label: 1 },
    { text: 'lifeless characters and lazy writing sink this sequel .', label: 0 },
    { text: 'smart , tender and surprisingly funny .', label: 1 },
    { text: 'the best thing about this movie is the soundtrack , and even that gets old .', label: 0 },
    { text: "It's a lovely film with wonderful performances!", label: 1 },
    { text: 'Not worth the price of the ticket.', label: 0 },
  ],
  // 0 = normal, 1 = toxic (offensive or hateful)
  toxic: [
    { text: 'you are a complete idiot and everyone knows it', label: 1 },
    { text: 'thanks for sharing , this was really helpful', label: 0 },
    { text: 'shut up , nobody cares what you think , loser', label: 1 },
    { text: 'i love watching the birds in my garden every morning', label: 0 },
    { text: 'what a stupid bitch lol', label: 1 },
    { text: '@friend happy birthday ! hope you have a great day', label: 0 },
    { text: 'this is the dumbest shit i have ever read', label: 1 },
    { text: 'the game last night was amazing , what a finish', label: 0 },
    { text: 'go to hell you worthless piece of trash', label: 1 },
    { text: "can't wait for the weekend , going hiking with my family", label: 0 },
    { text: 'fuck off and stop posting your garbage', label: 1 },
    { text: 'just finished my coffee and ready to work', label: 0 },
    { text: "RT @someone: you're pathetic and ugly &amp; nobody likes you", label: 1 },
    { text: 'I disagree with your point, but I respect your opinion.', label: 0 },
  ],
  // 0 = benign, 1 = malicious
  url: [
    { text: 'en.wikipedia.org/wiki/Recurrent_neural_network', label: 0 },
    { text: 'secure-login.paypa1-account-verify.com/signin/update.php?id=8f3a9c', label: 1 },
    { text: 'github.com/tensorflow/tfjs/blob/master/README.md', label: 0 },
    { text: 'amaz0n-co-jp.billing-check.xyz/ap/signin?session=c81e728d9d4c', label: 1 },
    { text: 'https://docs.python.org/3/library/functions.html', label: 0 },
    { text: 'appleid.apple.com.verify-session.top/login', label: 1 },
    { text: 'www.bbc.co.uk/news/science_and_environment', label: 0 },
    { text: 'mybank-card-security-update.cn/index.html?token=a9f2', label: 1 },
    { text: 'www.imdb.com/title/tt0111161/reviews', label: 0 },
    { text: 'free-gift-card-2024.example-prizes.top/claim/', label: 1 },
    { text: 'stackoverflow.com/questions/tagged/javascript', label: 0 },
    { text: 'www.xkq7vz.cn/?rtupfm', label: 1 },
    { text: 'www.nytimes.com/section/technology', label: 0 },
    { text: 'http://update-your-payment-info.net/account/confirm.php', label: 1 },
  ],
}
